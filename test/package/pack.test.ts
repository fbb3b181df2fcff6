// The package as a user gets it: `npm pack`, the tarball installed into an empty project (offline: npm ci from a
// lockfile that pins the tarball and the repository's own resolved dependencies, served from the npm cache), then
// plain Node imports the typed API and the installed `optmsm` command trains and predicts on a tiny CSV, with no
// source tree and no TypeScript loader anywhere. npm test builds dist/ first; the pack reuses that build.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeTinyDataset } from '../helpers/tiny-dataset.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'optmsm-pack-'));
const app = join(work, 'app');
const env = { ...process.env, npm_config_update_notifier: 'false', CI: 'true' };

function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}) {
  const result = spawnSync(command, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 240_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A consumer's lockfile: optmsm from the tarball, everything else exactly as the repository resolved it. */
function consumerLockfile(tarball: string) {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8'));
  const integrity = `sha512-${createHash('sha512').update(readFileSync(join(work, tarball))).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { optmsm: `file:../${tarball}` } },
    'node_modules/optmsm': {
      version: pkg.version, resolved: `file:../${tarball}`, integrity, license: pkg.license,
      dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages as Record<string, { dev?: boolean }>)) {
    if (path !== '' && !entry.dev) packages[path] = entry;
  }
  return { name: 'app', lockfileVersion: 3, requires: true, packages };
}

describe('npm pack, installed into an empty project', () => {
  beforeAll(() => {
    const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: repo, env, encoding: 'utf8' }).trim();
    mkdirSync(app);
    // The project a user would write: optmsm as a dependency, onnxruntime-node's CUDA download denied (README).
    writeFileSync(join(app, 'package.json'), JSON.stringify({
      name: 'app', private: true, type: 'module', dependencies: { optmsm: `file:../${tarball}` },
      allowScripts: { 'onnxruntime-node': false, protobufjs: false },
    }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLockfile(tarball)));
    const installed = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app);
    expect(installed.stderr).not.toMatch(/EBADENGINE|npm (warn|error)/);
    expect(installed.code).toBe(0);
  }, 300_000);

  it('ships the build, the launcher and the start configs, not the sources', () => {
    const root = join(app, 'node_modules/optmsm');
    expect(readdirSync(root).sort()).toEqual(['README.md', 'bin', 'configs', 'dist', 'package.json']);
    expect(readdirSync(join(root, 'bin')).sort()).toEqual(['launch.js', 'optmsm.js']);
    for (const file of ['index.js', 'index.d.ts', 'index.js.map', 'cli/main.js', 'engine/runtime/kernels/kernels.wasm']) {
      expect(existsSync(join(root, 'dist', file)), file).toBe(true);
    }
    expect(existsSync(join(root, 'dist/.tsbuildinfo'))).toBe(false);
    expect(JSON.parse(readFileSync(join(root, 'dist/index.js.map'), 'utf8')).sourcesContent?.[0]).toContain('export async function train');
  });

  it('every installed package supports the Node versions optmsm claims', () => {
    // npm's own version-range library, installed with fastify.
    const semver = createRequire(join(app, 'node_modules/'))('semver') as {
      minVersion(range: string): { version: string } | null;
      satisfies(version: string, range: string): boolean;
    };
    const lowest = semver.minVersion(pkg.engines.node)?.version as string;
    const lock = JSON.parse(readFileSync(join(app, 'node_modules/.package-lock.json'), 'utf8'));
    const unsupported = Object.entries(lock.packages as Record<string, { engines?: { node?: string } }>)
      .filter(([, p]) => p.engines?.node && !semver.satisfies(lowest, p.engines.node))
      .map(([path, p]) => `${path} (node ${p.engines?.node})`);
    expect(unsupported).toEqual([]);
  });

  it('plain Node imports the API; TypeScript sees its types', () => {
    const script = `const m = await import('optmsm');
const names = ['train', 'evaluate', 'predict', 'loadRun', 'bench', 'tune', 'suite', 'serve', 'models', 'generateSynthetic', 'resolveConfig', 'renderRunReport'];
console.log(JSON.stringify({ functions: names.filter((n) => typeof m[n] === 'function'), models: m.models().map((d) => d.name) }));`;
    const imported = run(process.execPath, ['--input-type=module', '-e', script], app);
    expect(imported.stderr).toBe('');
    const { functions, models } = JSON.parse(imported.stdout);
    expect(functions).toHaveLength(12);
    expect(models).toContain('optmsm');

    writeFileSync(join(app, 'typed.ts'), `import { train, type ExperimentConfigInput, type TrainResult } from 'optmsm';
const config: ExperimentConfigInput = { dataset: 'tiny.yaml', seeds: [1], train: { epochs: 1, batch_size: 128 } };
// @ts-expect-error epochs is an integer, not a string
const wrong: ExperimentConfigInput = { dataset: 'tiny.yaml', train: { epochs: 'one' } };
// @ts-expect-error the schema has no key epochz
const typo: ExperimentConfigInput = { dataset: 'tiny.yaml', train: { epochz: 1 } };
export const result: Promise<TrainResult> = train({ config, model: 'shared-bottom', out: 'run' });
export const auc = result.then((r) => r.metrics.test.scenarios.home.auc satisfies number | null);
void wrong; void typo;
`);
    const tsc = run(process.execPath, [
      join(repo, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2022', '--skipLibCheck', '--typeRoots', join(repo, 'node_modules/@types'), '--types', 'node', 'typed.ts',
    ], app);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('the installed optmsm command trains and predicts on a tiny CSV, quietly', () => {
    const dataset = writeTinyDataset(600);
    for (const file of ['tiny.csv', 'tiny.yaml', 'tiny-unlabelled.csv']) copyFileSync(join(dataset.dir, file), join(app, file));
    const optmsm = join(app, 'node_modules/.bin/optmsm');
    const help = run('npx', ['--no-install', 'optmsm', '--help'], app);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: optmsm');
    expect(help.stderr).toBe(''); // no npm warning
    const trained = run(optmsm, ['train', '--config', 'tiny.yaml', '--model', 'shared-bottom', '--epochs', '2', '--out', 'run'], app);
    expect(trained.stderr).not.toMatch(/\n\s+at |tsx|Error/);
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/scenario\s+rows\s+positives\s+AUC/);
    for (const file of ['model.onnx', 'metrics.json', 'report.html']) expect(existsSync(join(app, 'run', file)), file).toBe(true);
    const predicted = run(optmsm, ['predict', '--run', 'run', '--data', 'tiny-unlabelled.csv', '--out', 'predictions.csv'], app);
    expect(predicted.code).toBe(0);
    const lines = readFileSync(join(app, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('row,scenario,probability');
    expect(lines).toHaveLength(601);
    expect(lines.slice(1).every((l) => { const p = Number(l.split(',')[2]); return p > 0 && p < 1; })).toBe(true);
  });

  it('npx optmsm in the repository prints no npm warning either', () => {
    // npx packs the checkout, which runs `prepare` (a full rebuild) the first time: the other test files use dist/
    // meanwhile, so the rebuild is left out here; what is checked is npm's output.
    const help = run('npx', ['--no-install', 'optmsm', '--help'], repo, { npm_config_ignore_scripts: 'true' });
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
  });
});
