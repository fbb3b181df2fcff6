// The model server under load on loopback: 1-row bodies at fixed rates (open loop, bench/lib/paced-load.ts) and at
// saturation (autocannon), 64-row bodies, /health/ready probed from its own process while /predict is saturated,
// shedding past the queue limit, RSS over a minute; then the scoring designs against each other in alternating
// rounds. Every phase is bounded in time (--duration, --rss-seconds) and every loop in count (--rounds, the
// variant list).
// Run: npm run bench:serve [-- --run DIR --duration 10 --rss-seconds 60 --rounds 2 --variants 'workers=1;workers=0']
// A variant is server flags (`workers=2,batch-wait-ms=0`), `+malloc` adds the training malloc settings; the first
// variant runs every phase, and all are compared.
// The model is a 2-epoch OptMSM on ML-100k (../shared/data), else on the built-in synthetic data, trained once
// into runs/bench-serve/.
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRunConfig, MANIFEST_FILE, runTraining } from '../src/train/index.js';
import { pacedLoad, quantile } from './lib/paced-load.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(repo, 'bin/optmsm.js');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
// bin/run.js started this process with the training malloc settings; servers get them only in a +malloc variant.
const MALLOC_SETTINGS = Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('MALLOC_'))) as Record<string, string>;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

// --- probe mode: one keep-alive connection, GET at a fixed rate, latencies as JSON on stdout --------------------
async function probe(url: string, rate: number, seconds: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  const once = () => new Promise<void>((done) => {
    const t0 = performance.now();
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) latencies.push(performance.now() - t0);
        else failures++;
        done();
      });
    });
    req.on('error', () => {
      failures++;
      done();
    });
    req.end();
  });
  for (let next = performance.now(); next < end; next += 1000 / rate) {
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    await once();
  }
  latencies.sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ n: latencies.length, failures, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1) ?? NaN })}\n`);
  agent.destroy();
}

// --- the model and the request bodies ---------------------------------------------------------------------------
interface Workload {
  run: string;
  dataset: string;
  rows: Record<string, string>[];
}

async function workload(): Promise<Workload> {
  const ml = join(repo, '../shared/data/ml-100k/ml100k_ctr.csv');
  const useMl = existsSync(ml);
  const config = join(repo, useMl ? 'configs/experiments/ml100k.yaml' : 'configs/experiments/synthetic.yaml');
  const run = resolve(opt('run', join(repo, 'runs/bench-serve', useMl ? 'ml100k-optmsm-2ep' : 'synthetic-optmsm-2ep')));
  if (!existsSync(join(run, MANIFEST_FILE))) {
    process.stderr.write(`training the served model (2 epochs of OptMSM) into ${run}\n`);
    await runTraining({ config: loadRunConfig(config), model: 'optmsm', epochs: 2, out: run, log: () => {} });
  }
  // config.json names the files it read, resolved (`files`).
  const { files } = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as { files: string[] };
  const csv = files[0]!;
  const [header, ...lines] = readFileSync(csv, 'utf8').trim().split('\n').slice(0, 4097);
  const names = header!.split(',');
  const rows = lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
  return { run, dataset: useMl ? 'ML-100k' : 'synthetic', rows };
}

// --- a server process ---------------------------------------------------------------------------------------------
interface Variant {
  name: string;
  args: string[];
  env: Record<string, string>;
}

function variantOf(name: string): Variant {
  const [flags, malloc] = name.split('+');
  const parts = flags!.split(',').filter(Boolean);
  return {
    name,
    args: parts.flatMap((p) => {
      const [key, value] = p.split('=');
      return [`--${key}`, value!];
    }),
    env: malloc === 'malloc' ? MALLOC_SETTINGS : {},
  };
}

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the server is told it, so its logs can stay at error level). */
const freePort = () => new Promise<number>((done) => {
  const probeServer = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probeServer.address() as { port: number };
    probeServer.close(() => done(port));
  });
});

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function startServer(run: string, variant: Variant, extra: string[] = []): Promise<Server> {
  const env = { ...process.env };
  for (const key of Object.keys(MALLOC_SETTINGS)) delete env[key];
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'serve', '--run', run, '--port', String(port), '--log-level', 'error', ...variant.args, ...extra], {
    env: { ...env, ...variant.env }, stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.add(child);
  const exited = new Promise<never>((_, fail) => child.on('exit', (code) => fail(new Error(`the server exited with status ${code}`))));
  const url = `http://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let i = 0; i < 1200; i++) {
      if (await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the server was not ready within 120 s');
  })();
  await Promise.race([ready, exited]);
  return {
    url, child,
    stop: () => new Promise((done) => {
      child.removeAllListeners('exit');
      child.on('exit', () => {
        children.delete(child);
        done();
      });
      child.kill('SIGTERM');
    }),
  };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// --- load -------------------------------------------------------------------------------------------------------
interface Phase {
  phase: string;
  offered: string;
  rows: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  shed: number;
  otherErrors: number;
  errors: number;
  timeouts: number;
  load: string;
  note?: string;
}

/** Saturation: autocannon's closed loop, every connection sending its next request when the last is answered. */
async function cannon(server: Server, phase: string, bodies: string[], rows: number, options: { connections: number; seconds: number }): Promise<Phase> {
  const result = await autocannon({
    url: `${server.url}/predict`,
    connections: options.connections,
    duration: options.seconds,
    requests: bodies.map((body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body })),
  });
  const shed = result.statusCodeStats?.['503']?.count ?? 0;
  return {
    phase, offered: `saturation, ${options.connections} connections`, rows,
    requestsPerSecond: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max,
    ok: result['2xx'], shed, otherErrors: result.non2xx - shed, errors: result.errors, timeouts: result.timeouts, load: load(),
  };
}

/** A fixed rate: open loop, each request due at its time; latency from when it was sent, the client's lag beside it. */
async function paced(server: Server, phase: string, bodies: string[], rows: number, options: { connections: number; seconds: number; rate: number }): Promise<Phase> {
  const r = await pacedLoad({ url: `${server.url}/predict`, bodies, ...options });
  return {
    phase, offered: `${options.rate} req/s`, rows, requestsPerSecond: r.ok / r.seconds,
    p50: quantile(r.latencies, 0.5), p99: quantile(r.latencies, 0.99), max: r.latencies.at(-1) ?? Number.NaN,
    ok: r.ok, shed: r.shed, otherErrors: r.otherStatus, errors: r.errors, timeouts: r.timeouts, load: load(),
    note: `sent ${ms(quantile(r.lag, 0.99))} ms late at p99`,
  };
}

/** /health/ready probed at 50 req/s from another process while `saturate` runs. */
async function probeDuring(server: Server, seconds: number, saturate: () => Promise<Phase>): Promise<{ phase: Phase; probe: { n: number; failures: number; p50: number; p99: number; max: number } }> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--probe', `${server.url}/health/ready`, '--rate', '50', '--seconds', String(Math.max(1, seconds - 2))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const probed = new Promise<void>((done) => child.on('exit', () => done()));
  const phase = await saturate();
  await probed;
  return { phase, probe: JSON.parse(out) };
}

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 0) : '-');
const rowsPerSecond = (p: Phase) => Math.round(p.requestsPerSecond * p.rows);

function phaseTable(phases: Phase[]): string {
  const lines = [
    '| phase | offered | 2xx req/s | rows/s | p50 ms | p99 ms | max ms | 2xx | 503 | other non-2xx | errors | timeouts | load (1/5/15 min) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const p of phases) {
    lines.push(`| ${p.phase}${p.note ? ` (${p.note})` : ''} | ${p.offered} | ${Math.round(p.requestsPerSecond)} | ${rowsPerSecond(p)} | ${ms(p.p50)} | ${ms(p.p99)} | ${ms(p.max)} | ${p.ok} | ${p.shed} | ${p.otherErrors} | ${p.errors} | ${p.timeouts} | ${p.load} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const seconds = Number(opt('duration', '10'));
  const rssSeconds = Number(opt('rss-seconds', '60'));
  const rounds = Number(opt('rounds', '2'));
  const variants = opt('variants', 'workers=1;workers=2;workers=0;workers=1+malloc').split(';').map(variantOf);
  const { run, dataset, rows } = await workload();
  const one = rows.slice(0, 512).map((r) => JSON.stringify({ rows: [r] }));
  const sixtyFour = Array.from({ length: 32 }, (_, i) => JSON.stringify({ rows: rows.slice(i * 64, i * 64 + 64) }));
  process.stderr.write(`serving ${run} (${dataset}); load ${load()}\n`);

  // 1. The default server through every phase.
  const base = variants[0]!;
  const phases: Phase[] = [];
  let server = await startServer(run, base);
  await cannon(server, 'warm-up', one, 1, { connections: 32, seconds: 3 });
  for (const rate of [500, 1000, 2000, 4000]) phases.push(await paced(server, '1-row', one, 1, { connections: 32, seconds, rate }));
  phases.push(await cannon(server, '1-row', one, 1, { connections: 64, seconds }));
  phases.push(await cannon(server, '64-row', sixtyFour, 64, { connections: 32, seconds }));
  const probed = await probeDuring(server, seconds, () => cannon(server, '64-row, while /health/ready is probed', sixtyFour, 64, { connections: 32, seconds }));
  phases.push(probed.phase);
  const rssStart = rssMb(server.child.pid!);
  const rssSamples: number[] = [];
  const sampler = setInterval(() => rssSamples.push(rssMb(server.child.pid!)), 1000);
  const steady = await paced(server, '1-row, RSS sampled every second', one, 1, { connections: 32, seconds: rssSeconds, rate: 2000 });
  clearInterval(sampler);
  phases.push(steady);
  await server.stop();
  server = await startServer(run, base, ['--max-queue', '32']);
  phases.push({ ...(await cannon(server, '1-row past the limit', one, 1, { connections: 256, seconds })), note: '--max-queue 32' });
  await server.stop();

  process.stdout.write(`\n## ${dataset}, 2-epoch OptMSM, \`${base.name}\`\n\n${phaseTable(phases)}\n\n`);
  process.stdout.write(`/health/ready during 64-row saturation (50 probes/s, own process): p50 ${ms(probed.probe.p50)} ms, p99 ${ms(probed.probe.p99)} ms, max ${ms(probed.probe.max)} ms over ${probed.probe.n} probes, ${probed.probe.failures} failed\n`);
  process.stdout.write(`RSS over ${rssSeconds} s at 2000 req/s: ${rssStart.toFixed(0)} MB at the start, max ${Math.max(...rssSamples).toFixed(0)} MB, ${rssSamples.at(-1)!.toFixed(0)} MB at the end (${steady.ok} requests)\n`);

  // 2. The designs against each other, alternating, each round in its own fresh server.
  const comparison = new Map<string, { one: number[]; sixtyFour: number[]; p99At2000: number[]; health: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const s = await startServer(run, variant);
      await cannon(s, 'warm-up', one, 1, { connections: 32, seconds: 2 });
      const entry = comparison.get(variant.name) ?? { one: [], sixtyFour: [], p99At2000: [], health: [] };
      entry.one.push((await cannon(s, '1-row', one, 1, { connections: 64, seconds })).requestsPerSecond);
      const p = await probeDuring(s, seconds, () => cannon(s, '64-row', sixtyFour, 64, { connections: 32, seconds }));
      entry.sixtyFour.push(rowsPerSecond(p.phase));
      entry.health.push(p.probe.p99);
      entry.p99At2000.push((await paced(s, '1-row', one, 1, { connections: 32, seconds, rate: 2000 })).p99);
      comparison.set(variant.name, entry);
      await s.stop();
      process.stderr.write(`round ${round + 1}/${rounds} ${variant.name} done; load ${load()}\n`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const reference = comparison.get(base.name)!;
  const lines = [
    `| variant | 1-row req/s at saturation | ratio | 64-row rows/s | ratio | 1-row p99 ms at 2000 req/s | /health/ready p99 ms under 64-row saturation |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const [name, e] of comparison) {
    lines.push(`| \`${name}\` | ${Math.round(median(e.one))} | ${(median(e.one) / median(reference.one)).toFixed(2)} | ${Math.round(median(e.sixtyFour))} | ${(median(e.sixtyFour) / median(reference.sixtyFour)).toFixed(2)} | ${ms(median(e.p99At2000))} | ${ms(median(e.health))} |`);
  }
  process.stdout.write(`\n## Designs, median of ${rounds} alternating rounds (ratios against \`${base.name}\`)\n\n${lines.join('\n')}\n\nload at the end: ${load()}\n`);
}

if (args[0] === '--probe') await probe(opt('probe', ''), Number(opt('rate', '50')), Number(opt('seconds', '5')));
else await main();
