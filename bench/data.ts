// Read+encode throughput of the data room: ML-100k (when present) and N synthetic rows (default 10M, Parquet),
// plus one streamed training epoch from the encoded store. Each phase runs in its own child process so that its
// peak RSS (VmHWM, DuckDB's native memory included) is its own. Run: npm run bench:data [-- --rows N --format csv]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  generateSynthetic, loadDatasetConfig, parseDatasetConfig, prepareDataset, prepareDatasetToStore, streamBatches,
  syntheticConfigYaml,
} from '../src/data/index.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const rows = Number(opt('rows', '10000000'));
const format = opt('format', 'parquet') as 'csv' | 'parquet';
const threads = Number(opt('threads', '2'));
const memoryLimit = opt('memory-limit', '2GB');
const synthFile = join(repo, 'data/generated', `bench-${rows}.${format}`);
const benchCache = join(repo, '.cache/optmsm-bench');

interface PhaseResult {
  phase: string;
  rows: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  note?: string;
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

async function timed(phase: string, n: number, fn: () => Promise<string | void>): Promise<PhaseResult> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const note = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { phase, rows: n, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: peakRssMb(), ...(note ? { note } : {}) };
}

function synthConfig() {
  const raw = parse(syntheticConfigYaml(synthFile, { rows })) as Record<string, unknown>;
  delete raw.synthetic;
  return parseDatasetConfig(raw, 'bench', repo);
}

const phases: Record<string, () => Promise<PhaseResult>> = {
  async 'ml100k read+encode'() {
    const config = loadDatasetConfig(join(repo, 'configs/datasets/ml100k.yaml'));
    await prepareDataset(config, { cache: false, threads }); // warm-up (file cache, DuckDB load)
    return timed('ml100k read+encode', 100_000, async () => {
      await prepareDataset(config, { cache: false, threads });
    });
  },
  async 'synthetic generate'() {
    return timed('synthetic generate', rows, async () => {
      const r = await generateSynthetic({ output: synthFile, rows, users: 200_000, items: 50_000 });
      return `oracle AUC ${Object.entries(r.oracleAuc).map(([s, a]) => `${s} ${a?.toFixed(3)}`).join(', ')}`;
    });
  },
  async 'synthetic read+encode (to store)'() {
    // A fresh cache directory, so this phase reads and encodes; the next phase streams from what it wrote.
    rmSync(benchCache, { recursive: true, force: true });
    return timed('synthetic read+encode (to store)', rows, async () => {
      const s = await prepareDatasetToStore(synthConfig(), { cacheDir: benchCache, threads, memoryLimit });
      return `train/val/test ${s.report.rows.train}/${s.report.rows.validation}/${s.report.rows.test}`;
    });
  },
  async 'synthetic stream 1 epoch'() {
    const s = await prepareDatasetToStore(synthConfig(), { cacheDir: benchCache, threads });
    if (!s.report.cacheHit) throw new Error('the stream phase expected the store written by the encode phase');
    const n = s.store.meta.rows.train;
    return timed('synthetic stream 1 epoch', n, async () => {
      let seen = 0;
      for (const b of streamBatches(s.store, 'train', { batchSize: 4096, seed: 1, fields: s.fields })) seen += b.size;
      return `${seen} rows in batches of 4096 (chunk 65536 x 4 buffer)`;
    });
  },
};

async function child(name: string): Promise<void> {
  const result = await phases[name]!();
  process.stdout.write(`@@result ${JSON.stringify(result)}\n`);
}

function runPhase(name: string): PhaseResult | null {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args, '--phase', name], {
    stdio: ['ignore', 'pipe', 'inherit'], env: process.env, maxBuffer: 1 << 24,
  });
  const line = r.stdout.toString().split('\n').find((l) => l.startsWith('@@result '));
  if (!line) {
    process.stderr.write(`phase '${name}' failed (exit ${r.status})\n`);
    return null;
  }
  return JSON.parse(line.slice(9)) as PhaseResult;
}

async function main(): Promise<void> {
  const phase = opt('phase', '');
  if (phase) return child(phase);
  const load = loadavg().map((x) => x.toFixed(1)).join(' ');
  process.stdout.write(`bench:data — ${rows.toLocaleString()} synthetic rows (${format}), DuckDB threads ${threads}, memory_limit ${memoryLimit}, ${cpus().length} cores, load ${load}\n`);
  process.stdout.write('timings on a shared machine are noisy: compare rows per CPU-second as well\n\n');
  const order = [
    ...(existsSync(join(repo, '../shared/data/ml-100k/ml100k_ctr.csv')) ? ['ml100k read+encode'] : []),
    ...(existsSync(synthFile) ? [] : ['synthetic generate']),
    'synthetic read+encode (to store)',
    'synthetic stream 1 epoch',
  ];
  mkdirSync(dirname(synthFile), { recursive: true });
  const results: PhaseResult[] = [];
  for (const name of order) {
    const r = runPhase(name);
    if (!r) continue;
    results.push(r);
    process.stdout.write(`${r.phase.padEnd(34)} ${r.rows.toLocaleString().padStart(11)} rows  ${r.seconds.toFixed(2).padStart(7)} s  `
      + `${(r.rows / r.seconds / 1e6).toFixed(2).padStart(5)} M rows/s  ${(r.rows / r.cpuSeconds / 1e6).toFixed(2).padStart(5)} M rows/cpu-s  `
      + `peak RSS ${r.peakRssMb.toFixed(0).padStart(5)} MB${r.note ? `  (${r.note})` : ''}\n`);
  }
  mkdirSync(join(repo, 'runs'), { recursive: true });
  writeFileSync(join(repo, 'runs/bench-data.json'), `${JSON.stringify({ rows, format, threads, load, results }, null, 1)}\n`);
}

await main();
