// Training throughput: samples per wall-second and per CPU-second (all threads of the process) of trainModel on a
// run config, each round in its own process. With --compare <checkout>, rounds alternate between this checkout and
// another one (e.g. a worktree at main), so that the cost of a change is a ratio measured in one run; CPU-seconds
// move less than wall time when other jobs share the machine.
// Run: npm run bench:train [-- --config configs/experiments/ml100k.yaml --model optmsm --epochs 3 --rounds 4 --compare ../main]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const config = opt('config', 'configs/experiments/ml100k.yaml');
const model = opt('model', 'optmsm');
const epochs = Number(opt('epochs', '3'));

interface Round {
  samplesPerSecond: number;
  samplesPerCpuSecond: number;
}

/** One round, in a child process, of the code in `checkout` (this script runs the other checkout's src/). */
async function child(checkout: string): Promise<void> {
  const { loadData, loadRunConfig, trainModel } = await import(join(checkout, 'src/train/index.ts'));
  const run = loadRunConfig(join(checkout, config));
  const data = await loadData(run);
  const dir = mkdtempSync(join(tmpdir(), 'optmsm-bench-train-'));
  const train = { ...run.train, epochs, earlyStopping: { ...run.train.earlyStopping, patience: epochs } };
  const cpu0 = process.cpuUsage();
  const result = await trainModel({ data, model, modelConfig: run.models[model], train, seed: 2022, dir, log: () => {}, progress: { write: () => true, isTTY: false } });
  const cpu = process.cpuUsage(cpu0);
  const samples = data.train.rows * result.epochsRun;
  const round: Round = { samplesPerSecond: result.samplesPerSecond, samplesPerCpuSecond: samples / ((cpu.user + cpu.system) / 1e6) };
  await result.engine.dispose();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`@@round ${JSON.stringify(round)}\n`);
}

function round(checkout: string): Round {
  const r = spawnSync(process.execPath, [join(repo, 'bin/run.js'), fileURLToPath(import.meta.url), ...args, '--child', checkout], {
    cwd: checkout, encoding: 'utf8', maxBuffer: 1 << 24,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('@@round '));
  if (!line) throw new Error(`a round in ${checkout} failed (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(8)) as Round;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

function main(): void {
  const rounds = Number(opt('rounds', '4'));
  const other = args.includes('--compare') ? resolve(opt('compare', '')) : null;
  const checkouts = other ? [repo, other] : [repo];
  const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
  process.stdout.write(`bench:train — ${model} on ${config}, ${epochs} epochs a round, ${rounds} rounds, load ${load()}\n`);
  const results = new Map<string, Round[]>(checkouts.map((c) => [c, []]));
  for (let k = 0; k < rounds; k++) {
    for (const c of checkouts) {
      const r = round(c);
      results.get(c)!.push(r);
      process.stdout.write(`  round ${k + 1} ${c}: ${Math.round(r.samplesPerSecond)} samples/s, ${Math.round(r.samplesPerCpuSecond)} samples/CPU-s (load ${load()})\n`);
    }
  }
  process.stdout.write('\n| checkout | median samples/s | median samples/CPU-s |\n|---|---|---|\n');
  for (const [c, rs] of results) {
    process.stdout.write(`| ${c} | ${Math.round(median(rs.map((r) => r.samplesPerSecond)))} | ${Math.round(median(rs.map((r) => r.samplesPerCpuSecond)))} |\n`);
  }
  if (other) {
    const [a, b] = checkouts.map((c) => results.get(c)!);
    process.stdout.write(`\nratio ${repo} / ${other}: ${(median(a!.map((r) => r.samplesPerCpuSecond)) / median(b!.map((r) => r.samplesPerCpuSecond))).toFixed(3)} (samples/CPU-s), `
      + `${(median(a!.map((r) => r.samplesPerSecond)) / median(b!.map((r) => r.samplesPerSecond))).toFixed(3)} (samples/s)\n`);
  }
}

if (args.includes('--child')) await child(opt('child', repo));
else main();
