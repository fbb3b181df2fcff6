// Same seed, same bits; a resume that checks what it resumes; a run directory that is not overwritten by
// accident; SIGINT/SIGTERM and kill -9 in the middle of an epoch (issue 13). On the tiny fixture; the real-data
// versions are in test/e2e/real-data.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OptmsmError } from '../../src/errors.js';
import { loadRun, loadRunConfig, predictFile, runTraining } from '../../src/train/index.js';
import { writeTinyDataset, writeTinyRunConfig } from '../helpers/tiny-dataset.js';

const quiet = { log: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream };
const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/optmsm.js');
const launcher: string = resolve(dirname(bin), 'launch.js');
const { MALLOC_SETTINGS } = (await import(launcher)) as { MALLOC_SETTINGS: Record<string, string> };
/** The files whose bytes must not depend on anything but the data, config, seed and code. */
const SAME_BITS = ['metrics.json', 'weights.bin', 'model.onnx', 'encoder.json', 'config.json'];

const bytes = (dir: string, file: string) => readFileSync(join(dir, file));
function expectSameRun(a: string, b: string): void {
  for (const file of SAME_BITS) expect(bytes(a, file).equals(bytes(b, file)), file).toBe(true);
}
/** Files a stopped run must not leave behind: temporaries, or results of an epoch that did not finish. */
function leftovers(dir: string): string[] {
  const all = [...readdirSync(dir), ...readdirSync(join(dir, 'checkpoints')).map((f) => `checkpoints/${f}`)];
  return all.filter((f) => f.endsWith('.tmp') || ['metrics.json', 'weights.bin', 'model.onnx', 'timing.json'].includes(f));
}
async function error(fn: () => Promise<unknown>): Promise<OptmsmError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof OptmsmError) return e;
    throw e;
  }
  throw new Error('expected an OptmsmError');
}

describe('reproducible runs', () => {
  const dataset = writeTinyDataset();
  const config = () => loadRunConfig(writeTinyRunConfig(dataset, { epochs: 3, early_stopping: { patience: 10 } }));

  it('two runs of one seed write the same metrics.json, weights, model and predictions', async () => {
    const a = await runTraining({ config: config(), model: 'optmsm', out: join(dataset.dir, 'same-a'), ...quiet });
    const b = await runTraining({ config: config(), model: 'optmsm', out: join(dataset.dir, 'same-b'), ...quiet });
    expectSameRun(a.dir, b.dir);
    const [pa, pb] = await Promise.all([a.dir, b.dir].map(async (dir) => (await predictFile(await loadRun(dir), dataset.unlabelled)).probability));
    expect(pa).toEqual(pb);
  });

  it('SIGINT stops between batches, keeps the last checkpoint, writes nothing partial; --resume gives the uninterrupted result', async () => {
    const straight = await runTraining({ config: config(), out: join(dataset.dir, 'straight'), ...quiet });
    const out = join(dataset.dir, 'stopped');
    // The log line of epoch 2 comes right after its checkpoint: the signal then lands during epoch 3.
    const log = (line: string) => {
      if (line.startsWith('epoch 2:')) process.kill(process.pid, 'SIGINT');
    };
    const stopped = await error(() => runTraining({ config: config(), out, ...quiet, log, resumeCommand: 'optmsm train ... --resume' }));
    expect(stopped.code).toBe('E_TRAIN_INTERRUPTED');
    expect(stopped.message).toBe('training stopped by SIGINT during epoch 3; nothing of that epoch was saved');
    expect(stopped.location).toBe(join(out, 'checkpoints', 'epoch-2.bin'));
    expect(stopped.hint).toBe('resume with: optmsm train ... --resume');
    expect(stopped.exitCode).toBe(130);
    expect(leftovers(out)).toEqual([]);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    // Training into it again without --resume would throw the checkpoint away.
    const again = await error(() => runTraining({ config: config(), out, ...quiet }));
    expect(again.code).toBe('E_RUN_EXISTS');
    expect(again.message).toBe(`${out} already holds an unfinished run (checkpoint after epoch 2)`);
    const resumed = await runTraining({ config: config(), out, resume: true, ...quiet });
    expectSameRun(resumed.dir, straight.dir);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch)).toEqual([1, 2, 3]);
  });

  it('--resume refuses another seed, training option, data or code version, naming it', async () => {
    const out = join(dataset.dir, 'checked');
    await runTraining({ config: config(), out, epochs: 1, ...quiet });
    const seed = await error(() => runTraining({ config: config(), out, epochs: 1, seed: 8, resume: true, ...quiet }));
    expect(seed.code).toBe('E_TRAIN_RESUME_MISMATCH');
    expect(seed.message).toBe(`--resume: the run in ${out} was trained with another seed`);
    expect(seed.location).toBe(`${join(out, 'config.json')}: seed`);
    expect([seed.expected, seed.found]).toEqual(['7 (as recorded)', '8']);
    const lr = loadRunConfig(writeTinyRunConfig(dataset, { epochs: 3, early_stopping: { patience: 10 }, optimizer: { lr: 0.01 } }));
    const option = await error(() => runTraining({ config: lr, out, epochs: 1, resume: true, ...quiet }));
    expect(option.location).toBe(`${join(out, 'config.json')}: train_resolved.optimizer.lr`);
    const epochs = await error(() => runTraining({ config: config(), out, epochs: 2, resume: true, ...quiet }));
    expect(epochs.location).toBe(`${join(out, 'config.json')}: train_resolved.epochs`);
    // The code version as recorded by another checkout.
    const file = join(out, 'config.json');
    const recorded = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...recorded, code_version: '0000000' }));
    const code = await error(() => runTraining({ config: config(), out, epochs: 1, resume: true, ...quiet }));
    expect(code.location).toBe(`${file}: code_version`);
    writeFileSync(file, JSON.stringify(recorded));
    // One label flipped in the data file: the same paths and config, other data.
    const changed = writeTinyDataset();
    const lines = readFileSync(changed.csv, 'utf8').split('\n');
    lines[1] = lines[1]!.replace(/,([01]),train$/, (_, y: string) => `,${1 - Number(y)},train`);
    writeFileSync(changed.csv, lines.join('\n'));
    const other = loadRunConfig(writeTinyRunConfig(changed, { epochs: 3, early_stopping: { patience: 10 } }));
    const data = await error(() => runTraining({ config: other, out, epochs: 1, resume: true, ...quiet }));
    expect(data.location).toBe(`${file}: data_fingerprint`);
    // The same options resume (here: a finished run, which gives its result again).
    await expect(runTraining({ config: config(), out, epochs: 1, resume: true, ...quiet })).resolves.toBeDefined();
  });

  it('train into a finished run refuses without --overwrite, and --overwrite starts it again', async () => {
    const out = join(dataset.dir, 'finished');
    const first = await runTraining({ config: config(), out, epochs: 1, ...quiet });
    const refused = await error(() => runTraining({ config: config(), out, epochs: 2, ...quiet }));
    expect(refused.code).toBe('E_RUN_EXISTS');
    expect(refused.message).toBe(`${out} already holds a finished run (metrics.json)`);
    expect(refused.hint).toBe('--overwrite replaces it, or --out names another directory');
    expect(bytes(out, 'metrics.json').equals(bytes(first.dir, 'metrics.json'))).toBe(true);
    const replaced = await runTraining({ config: config(), out, epochs: 2, overwrite: true, ...quiet });
    expect(replaced.metrics.epochs_run).toBe(2);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

describe('the CLI stopped in the middle of an epoch', () => {
  // 300 batches an epoch: long enough (about a second) to be stopped in the middle of one.
  const dataset = writeTinyDataset(6000);
  const config = writeTinyRunConfig(dataset, { epochs: 3, batch_size: 16, early_stopping: { patience: 10 } });
  const train = (out: string, ...flags: string[]) => ['train', '--config', config, '--model', 'optmsm', '--out', out, ...flags];

  /** Starts `optmsm train`, waits until epoch 1 is in log.jsonl and a little more, then sends `signal`. */
  async function stopDuringEpoch2(out: string, signal: NodeJS.Signals, env: NodeJS.ProcessEnv) {
    const child = spawn(process.execPath, [bin, ...train(out)], { env: { ...process.env, CI: 'true', ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let ended = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, sig) => {
      ended = true;
      done({ code, signal: sig });
    }));
    const log = join(out, 'log.jsonl');
    while (!(existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length >= 1)) {
      if (ended) throw new Error(`optmsm train ended before its first epoch: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 150));
    child.kill(signal);
    return { ...(await exited), stderr: () => stderr };
  }

  it('kill -9, then --resume, gives the run an uninterrupted one gives', async () => {
    const straight = join(dataset.dir, 'cli-straight');
    expect(spawnSync(process.execPath, [bin, ...train(straight)], { env: { ...process.env, CI: 'true' } }).status).toBe(0);
    const out = join(dataset.dir, 'cli-killed');
    // With the malloc settings already set the CLI trains in this very process, which SIGKILL then ends.
    const killed = await stopDuringEpoch2(out, 'SIGKILL', MALLOC_SETTINGS);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
    const epochs = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').length;
    expect(epochs).toBeLessThan(3);
    const resumed = spawnSync(process.execPath, [bin, ...train(out, '--resume')], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain(`resuming from the checkpoint after epoch ${epochs}`);
    expectSameRun(out, straight);
  });

  it('SIGTERM through the launcher prints the checkpoint and the command that resumes it', async () => {
    const out = join(dataset.dir, 'cli-term');
    const stopped = await stopDuringEpoch2(out, 'SIGTERM', {});
    expect(stopped.code).toBe(143);
    const text = stopped.stderr();
    expect(text).toMatch(/✖ training stopped by SIGTERM during epoch \d; nothing of that epoch was saved → at .*checkpoints\/epoch-\d\.bin/);
    expect(text).toContain(`hint:     resume with: optmsm train --config ${config} --model optmsm --seed 7 --out ${out} --resume`);
    expect(text).toContain('[E_TRAIN_INTERRUPTED]');
    expect(leftovers(out)).toEqual([]);
    rmSync(out, { recursive: true, force: true });
  });
});
