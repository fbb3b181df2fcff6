// npm run bench:startup: how long `optmsm --help` takes against a bare `node -e 0`, and whether the malloc re-exec
// of bin/launch.js pays for itself (training and prediction, with and without the malloc settings). All rounds
// interleave the variants, so a busy machine slows them alike; the ratios are the figures to compare.
//   npm run bench:startup                      # 15 rounds of startup, 3 rounds of train/predict
//   npm run bench:startup -- --rounds 30 --no-work
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSynthetic } from '../src/data/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(repo, 'bin/optmsm.js');
const main = join(repo, 'dist/cli/main.js');
const MALLOC = { MALLOC_MMAP_THRESHOLD_: '67108864', MALLOC_TRIM_THRESHOLD_: '1073741824', MALLOC_TOP_PAD_: '67108864' };

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const rounds = option('--rounds', 15);
const workRounds = option('--work-rounds', 3);

// bin/run.js started this script with the malloc settings; the commands measured start as a user's shell would.
const withoutMalloc = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_')));
const withMalloc = { ...withoutMalloc, ...MALLOC };

/** Wall seconds of one command, which must succeed. */
function timed(argv: string[], env: NodeJS.ProcessEnv = withoutMalloc): number {
  const started = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.status}): ${result.stderr}`);
  return (performance.now() - started) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function interleave(variants: Record<string, () => number>, n: number): Record<string, number[]> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < n; r++) for (const [name, run] of Object.entries(variants)) times[name].push(run());
  return times;
}

function report(title: string, times: Record<string, number[]>, baseline: string): void {
  process.stdout.write(`\n${title}\n\n| command | median | best | median / ${baseline} |\n|---|---|---|---|\n`);
  const base = median(times[baseline]);
  for (const [name, xs] of Object.entries(times)) {
    process.stdout.write(`| \`${name}\` | ${ms(median(xs))} | ${ms(Math.min(...xs))} | ${(median(xs) / base).toFixed(2)}x |\n`);
  }
}

process.stdout.write(`load average before: ${load()}\n`);
const node = process.execPath;
const startup = interleave({
  'node -e 0': () => timed([node, '-e', '0']),
  'optmsm --help': () => timed([node, bin, '--help']),
  'optmsm train --help (re-exec)': () => timed([node, bin, 'train', '--help']),
  'optmsm models': () => timed([node, bin, 'models']),
}, rounds);
report(`CLI startup, ${rounds} interleaved rounds`, startup, 'node -e 0');
process.stdout.write(`\noptmsm --help - node -e 0: ${ms(median(startup['optmsm --help']) - median(startup['node -e 0']))} (median)\n`);

if (!args.includes('--no-work')) {
  // Training and prediction in-process (dist/cli/main.js, no launcher) with and without the malloc settings.
  const dir = mkdtempSync(join(tmpdir(), 'optmsm-startup-'));
  const data = join(dir, 'data.csv');
  const config = join(dir, 'data.yaml');
  await generateSynthetic({ output: data, rows: 200_000, users: 2000, items: 1000, configFile: config });
  const samplesPerSecond: Record<string, number[]> = { 'train, malloc settings': [], 'train, glibc defaults': [] };
  const trainRun = (name: string, env: NodeJS.ProcessEnv, r: number) => {
    const out = join(dir, `run-${name.includes('defaults') ? 'plain' : 'malloc'}-${r}`);
    const seconds = timed([node, main, 'train', '--config', config, '--model', 'optmsm', '--epochs', '2', '--out', out], { ...env, CI: 'true' });
    samplesPerSecond[name].push(JSON.parse(readFileSync(join(out, 'timing.json'), 'utf8')).samples_per_second); // wall-clock figures live in timing.json
    return seconds;
  };
  const work = interleave({
    'train, malloc settings': () => trainRun('train, malloc settings', withMalloc, samplesPerSecond['train, malloc settings'].length),
    'train, glibc defaults': () => trainRun('train, glibc defaults', withoutMalloc, samplesPerSecond['train, glibc defaults'].length),
    'predict 200k rows, malloc settings': () => timed([node, main, 'predict', '--run', join(dir, 'run-malloc-0'), '--data', data, '--out', join(dir, 'p1.csv')], withMalloc),
    'predict 200k rows, glibc defaults': () => timed([node, main, 'predict', '--run', join(dir, 'run-malloc-0'), '--data', data, '--out', join(dir, 'p2.csv')], withoutMalloc),
  }, workRounds);
  report(`Training (OptMSM, 200k synthetic rows, 2 epochs) and prediction, ${workRounds} interleaved rounds (wall time of the command)`, work, 'train, glibc defaults');
  process.stdout.write('\n| training | median train samples/s |\n|---|---|\n');
  for (const [name, xs] of Object.entries(samplesPerSecond)) process.stdout.write(`| ${name} | ${Math.round(median(xs)).toLocaleString('en-US')} |\n`);
}
process.stdout.write(`\nload average after: ${load()}\n`);
