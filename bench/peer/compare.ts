// npm run bench:peer [-- --models star,sar-net --seeds 3 --out runs/peer]
//
// The peer check of issue 10: optmsm's models against Scenario-Wise-Rec's implementation of the same models on
// the ML-100k split, with the same sizes and seeds. For every seed, and every model in it, optmsm trains first
// (`optmsm train --config configs/experiments/ml100k.yaml`), then ./swr.py trains theirs, one after the other,
// so both see the same machine load. Prints (and writes to <out>/peer.md and peer.json) test AUC as mean ± std
// over seeds, the difference, and the median training seconds per epoch of each (validation excluded) with the
// ratio theirs / ours. Finished runs of either side are reused, so a killed check resumes.
//
// Optional: needs /usr/bin/python3 (or $OPTMSM_PYTHON) with Debian's python3-torch, python3-sklearn,
// python3-pandas and python3-tqdm, and $SWR_DIR naming a copy of the Scenario-Wise-Rec checkout (for example
// `git -C <mirror> archive HEAD scenario_wise_rec | tar -x -C $SWR_DIR`); without them it says what is missing
// and exits 0. Nothing of Scenario-Wise-Rec is part of this repository.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PYTHON = process.env.OPTMSM_PYTHON ?? '/usr/bin/python3';
const PEER = join(ROOT, 'bench', 'peer', 'swr.py');
/** The seven of issue 10 that Scenario-Wise-Rec implements, and the four baselines measured before. */
const MODELS = ['shared-bottom', 'mmoe', 'ple', 'star', 'sar-net', 'adasparse', 'adaptdhm', 'hamur', 'm3oe', 'epnet', 'ppnet'];
const SEEDS = [2022, 2023, 2024];

const program = new Command()
  .option('--models <list>', 'models, comma-separated', MODELS.join(','))
  .option('--seeds <n>', 'number of seeds (2022, 2023, 2024)', '3')
  .option('--config <file>', 'optmsm run config', join(ROOT, 'configs', 'experiments', 'ml100k.yaml'))
  .option('--data <file>', 'the ML-100k CTR file for the peer', join(ROOT, '..', 'shared', 'data', 'ml-100k', 'ml100k_ctr.csv'))
  .option('--out <dir>', 'where both sides\' runs go', join(ROOT, 'runs', 'peer'))
  .option('--threads <n>', 'torch intra-op threads', '1');
program.parse();
const opts = program.opts<{ models: string; seeds: string; config: string; data: string; out: string; threads: string }>();

interface Side {
  auc: number;
  epochs: number;
  epochSeconds: number;
}

function missing(): string | null {
  if (!existsSync(opts.data)) return `the ML-100k file ${opts.data} is absent`;
  const swr = process.env.SWR_DIR;
  if (!swr || !existsSync(join(swr, 'scenario_wise_rec'))) return '$SWR_DIR does not name a copy of the Scenario-Wise-Rec checkout';
  const probe = spawnSync(PYTHON, ['-c', 'import torch, sklearn, pandas, tqdm'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import torch, sklearn, pandas and tqdm (apt-get install python3-torch python3-sklearn python3-pandas python3-tqdm)`;
  return null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function ours(model: string, seed: number): Side {
  const dir = join(opts.out, 'ours', model, `seed-${seed}`);
  if (!existsSync(join(dir, 'metrics.json'))) {
    const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'optmsm.js'), 'train', '--config', opts.config, '--model', model,
      '--seed', String(seed), '--out', dir, '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (run.status !== 0) throw new Error(`optmsm train ${model} seed ${seed} failed (status ${run.status})`);
  }
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { test: { auc: number } };
  const epochs = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seconds?: number })
    .filter((l) => typeof l.seconds === 'number');
  return { auc: metrics.test.auc, epochs: epochs.length, epochSeconds: median(epochs.map((l) => l.seconds as number)) };
}

function theirs(model: string, seed: number): Side {
  const file = join(opts.out, 'theirs', `${model}.seed-${seed}.json`);
  if (!existsSync(file)) {
    const run = spawnSync(PYTHON, [PEER, '--data', opts.data, '--model', model, '--seed', String(seed), '--threads', opts.threads],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !line.startsWith('{')) throw new Error(`Scenario-Wise-Rec ${model} seed ${seed} failed (status ${run.status}): ${line}`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${line}\n`);
  }
  const result = JSON.parse(readFileSync(file, 'utf8')) as { auc: number; epochs: number; epoch_seconds: number[] };
  return { auc: result.auc, epochs: result.epochs, epochSeconds: median(result.epoch_seconds) };
}

const reason = missing();
if (reason) {
  console.log(`peer check skipped: ${reason}`);
} else {
  const models = opts.models.split(',').map((m) => m.trim()).filter(Boolean);
  const seeds = SEEDS.slice(0, Number(opts.seeds));
  const started = loadavg();
  const runs = new Map(models.map((m) => [m, { ours: [] as Side[], theirs: [] as Side[] }]));
  for (const seed of seeds) {
    for (const model of models) {
      const entry = runs.get(model)!;
      entry.ours.push(ours(model, seed));
      entry.theirs.push(theirs(model, seed));
      process.stderr.write(`${model} seed ${seed}: ours ${entry.ours.at(-1)!.auc.toFixed(4)}, theirs ${entry.theirs.at(-1)!.auc.toFixed(4)}\n`);
    }
  }
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
  const fmt = (xs: number[]) => `${mean(xs).toFixed(4)} ± ${std(xs).toFixed(4)}`;
  const rows = models.map((model) => {
    const { ours: o, theirs: t } = runs.get(model)!;
    const [ourSeconds, theirSeconds] = [mean(o.map((s) => s.epochSeconds)), mean(t.map((s) => s.epochSeconds))];
    return {
      model, ours: o, theirs: t,
      line: `| ${model} | ${fmt(o.map((s) => s.auc))} | ${fmt(t.map((s) => s.auc))} | ${(mean(o.map((s) => s.auc)) - mean(t.map((s) => s.auc))).toFixed(4)} `
        + `| ${ourSeconds.toFixed(2)} | ${theirSeconds.toFixed(2)} | ${(theirSeconds / ourSeconds).toFixed(1)}x | ${o.map((s) => s.epochs).join('/')} vs ${t.map((s) => s.epochs).join('/')} |`,
    };
  });
  const table = [
    `Test AUC over seeds ${seeds.join(', ')} and median training seconds per epoch (validation excluded); load average ${load(started)} at the start, ${load(loadavg())} at the end.`,
    '',
    '| model | optmsm AUC | Scenario-Wise-Rec AUC | Δ | optmsm s/epoch | theirs s/epoch | speed-up | epochs (ours vs theirs) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => r.line),
  ].join('\n');
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, 'peer.md'), `${table}\n`);
  writeFileSync(join(opts.out, 'peer.json'), `${JSON.stringify(rows.map(({ line: _line, ...r }) => r), null, 1)}\n`);
  console.log(table);
}
