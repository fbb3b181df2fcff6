// Where batches are scored: a piscina pool of worker threads, each with its own ONNX Runtime session, or the
// event loop itself (--workers 0). piscina is a well-kept pool (respawns a crashed worker, wakes idle ones with
// Atomics rather than an event-loop message, closes cleanly); the batcher in front of it hands each worker at most
// BATCHES_PER_WORKER batches, so piscina's own queue stays empty.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { OptmsmError } from '../errors.js';
import { type ScoreOutcome, Scorer, type ScorerOptions } from './scorer.js';
import type { WorkerMessage } from './scoring-worker.js';

export interface ScoringBackend {
  /** Batches that can be scored at the same time. */
  readonly slots: number;
  score(bodies: string[]): Promise<ScoreOutcome[]>;
  close(): Promise<void>;
}

/** Scores on the calling thread: no worker, no copy; the event loop waits for each batch. */
export async function inlineBackend(options: ScorerOptions): Promise<ScoringBackend> {
  const scorer = await Scorer.open(options);
  return { slots: 1, score: (bodies) => scorer.score(bodies), close: () => scorer.close() };
}

// From the sources, the worker is a .ts file and needs tsx's ESM hooks; from a build it is plain .js. On Node 20
// a worker thread does not inherit the main thread's hooks, and `--import tsx` in a worker registers only the
// require() hook (the worker's imports include a module with top-level await), so the worker registers the ESM
// hooks itself through tsx's API before piscina imports the file.
const fromSources = import.meta.url.endsWith('.ts');
const workerFile = fileURLToPath(new URL(`./scoring-worker${fromSources ? '.ts' : '.js'}`, import.meta.url));
const workerExecArgv = fromSources
  ? ['--import', `data:text/javascript,import{register}from${JSON.stringify(import.meta.resolve('tsx/esm/api'))};register();`]
  : [];

function workerFailure(message: Extract<WorkerMessage, { kind: 'failed' }>): Error {
  if (message.code === null) return new Error(`a scoring worker failed to start: ${message.message}`);
  const { code, location, expected, found, hint } = message;
  return new OptmsmError(code, message.message, { location, expected, found, hint });
}

/**
 * Batches in flight per worker: one being scored and one waiting in its port, so a worker goes straight on to the
 * next batch instead of idling until a busy HTTP thread has taken its answer (under a storm of retries that wait
 * was a whole event-loop turn, tens of milliseconds, per batch).
 */
const BATCHES_PER_WORKER = 2;

/** `workers` threads, resolved once every one has opened its run and passed its warm-up prediction. */
export async function workerBackend(options: ScorerOptions, workers: number): Promise<ScoringBackend> {
  const pool = new Piscina<string[], ScoreOutcome[]>({
    filename: workerFile,
    execArgv: workerExecArgv,
    workerData: options,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: BATCHES_PER_WORKER,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let ready = 0;
      pool.on('error', reject);
      pool.on('message', (message: WorkerMessage) => {
        if (message.kind === 'failed') reject(workerFailure(message));
        else if (++ready === workers) resolve();
      });
    });
  } catch (error) {
    await pool.destroy();
    throw error;
  }
  return { slots: BATCHES_PER_WORKER * workers, score: (bodies) => pool.run(bodies), close: () => pool.close() };
}
