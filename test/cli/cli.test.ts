// The CLI as a user runs it: a child process through bin/optmsm.js (launcher, tsx, malloc settings included).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateByScenario } from '../../src/metrics/index.js';
import { writeTinyDataset, writeTinyRunConfig } from '../helpers/tiny-dataset.js';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/optmsm.js');

function optmsm(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('optmsm CLI', () => {
  const dataset = writeTinyDataset();
  const config = writeTinyRunConfig(dataset, { epochs: 2 });
  const run = join(dataset.dir, 'run');

  it('train writes a run directory and prints the per-scenario table', () => {
    const result = optmsm('train', '--config', config, '--model', 'optmsm', '--out', run);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/scenario\s+rows\s+positives\s+AUC\s+LogLoss/);
    for (const file of ['config.json', 'encoder.json', 'weights.bin', 'model.onnx', 'log.jsonl', 'metrics.json', 'report.html']) {
      expect(() => readFileSync(join(run, file))).not.toThrow();
    }
    const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ model: 'optmsm', seed: 7, best_epoch: expect.any(Number) });
    expect(Object.keys(metrics.test.scenarios).sort()).toEqual(['detail', 'home', 'search']);
    expect(metrics.parameters.dense).toBeGreaterThan(0);
  });

  it('predict on raw test rows gives the probabilities that evaluation scored', () => {
    const lines = readFileSync(dataset.csv, 'utf8').trim().split('\n');
    const testRows = lines.slice(1).filter((l) => l.endsWith(',test'));
    const testFile = join(dataset.dir, 'test-rows.csv');
    writeFileSync(testFile, [lines[0], ...testRows].join('\n'));
    const out = join(dataset.dir, 'predictions.csv');
    const result = optmsm('predict', '--run', run, '--data', testFile, '--out', out);
    expect(result.code).toBe(0);
    const predicted = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(predicted).toHaveLength(testRows.length);
    const probability = Float32Array.from(predicted, (p) => Number(p[2]));
    const label = Uint8Array.from(testRows, (l) => Number(l.split(',')[4]));
    const values: string[] = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).scenarios.values;
    const scenario = Int32Array.from(testRows, (l) => values.indexOf(l.split(',')[3]));
    const metrics = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    const recomputed = evaluateByScenario(probability, label, scenario, values);
    expect(recomputed.auc).toBeCloseTo(metrics.test.auc, 5);
    expect(recomputed.logloss).toBeCloseTo(metrics.test.logloss, 5);
  });

  it('eval on a labelled file prints the table; unseen ids are OOV, not errors', () => {
    const unseen = join(dataset.dir, 'unseen.csv');
    writeFileSync(unseen, 'user,item,price,page,label\nnew-user,new-item,10,home,1\nu1,i2,20,search,0\n');
    const result = optmsm('eval', '--run', run, '--data', unseen, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).rows).toBe(2);
  });

  it('an unknown scenario value is one clear error line naming the value', () => {
    const bad = join(dataset.dir, 'bad-scenario.csv');
    writeFileSync(bad, 'user,item,price,page\nu1,i2,20,checkout\n');
    const result = optmsm('predict', '--run', run, '--data', bad, '--out', join(dataset.dir, 'x.csv'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('checkout');
    expect(result.stderr).toContain('E_DATA_UNKNOWN_SCENARIO');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad config keys and missing files exit non-zero with one clear message', () => {
    const badKey = join(dataset.dir, 'bad-key.yaml');
    writeFileSync(badKey, readFileSync(config, 'utf8').replace('epochs: 2', 'epochz: 2'));
    const result = optmsm('train', '--config', badKey);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('epochz');
    expect(result.stderr).toContain('E_CONFIG_UNKNOWN_KEY');
    const missing = optmsm('eval', '--run', join(dataset.dir, 'nope'), '--data', dataset.csv);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('E_RUN_NOT_FOUND');
  });

  it('synth writes data and a dataset config that train reads', () => {
    const out = join(dataset.dir, 'synth.csv');
    const configFile = join(dataset.dir, 'synth.yaml');
    const result = optmsm('synth', '--out', out, '--rows', '3000', '--users', '50', '--items', '40', '--config', configFile);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/oracle AUC/);
    expect(result.stdout).toMatch(/all\s+3000\s+0\.\d{4}/);
    const trained = optmsm('train', '--config', configFile, '--model', 'shared-bottom', '--epochs', '1', '--out', join(dataset.dir, 'synth-run'));
    expect(trained.code).toBe(0);
  });

  it('synth --world writes a world and its dataset config; tune on it writes best.yaml, which train reads', () => {
    const spec = join(dataset.dir, 'world.yaml');
    writeFileSync(spec, 'rows: 3000\nseed: 4\nscenarios: 3\nsizes: [60, 30, 10]\nusers: { count: 100 }\nitems: { count: 50 }\ncontext: [{ name: surface, values: 3, scenarios: [0] }]\n');
    const worldConfig = join(dataset.dir, 'world-data.yaml');
    const made = optmsm('synth', '--world', spec, '--out', join(dataset.dir, 'world.csv'), '--config', worldConfig);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/s2\s+\d+\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}/);
    expect(readFileSync(worldConfig, 'utf8')).toContain('{ name: surface, kind: categorical, scope: specific }');
    const tuneDir = join(dataset.dir, 'tune');
    const tuned = optmsm('tune', '--config', worldConfig, '--model', 'shared-bottom', '--trials', '2', '--epochs', '1', '--out', tuneDir);
    expect(tuned.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(tuned.code).toBe(0);
    expect(tuned.stdout).toMatch(/shared-bottom: best of 2 trials is trial [01] \(validation AUC 0\.\d{4}\)/);
    const trained = optmsm('train', '--config', join(tuneDir, 'best.yaml'), '--model', 'shared-bottom', '--epochs', '1', '--out', join(dataset.dir, 'best-run'));
    expect(trained.code).toBe(0);
  });

  it('suite and tune name what is wrong with their arguments', () => {
    const missing = optmsm('suite', '--suite', join(dataset.dir, 'nope.yaml'), '--out', join(dataset.dir, 's'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read config .*nope\.yaml/);
    const badRole = optmsm('suite', '--suite', 'x.yaml', '--out', 'y', '--worlds', 'final');
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toMatch(/expected tuning, test or all, got 'final'/);
    const noModel = optmsm('tune', '--config', config, '--trials', '2');
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/tune needs --config and --model/);
  });

  it('optmsm models | head: the reader leaving early ends the command quietly', async () => {
    const child = spawn(process.execPath, [bin, 'models'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.stdout.once('data', () => child.stdout.destroy()); // what `head -1` does after its line
    const code = await new Promise((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
