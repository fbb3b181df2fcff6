// A scoring worker thread (run by piscina): its own verified run and ONNX Runtime session, scoring the batches of
// request bodies the HTTP thread hands it. The default export is a promise of the task function, which piscina
// awaits before the worker takes tasks (an idle piscina worker blocks in Atomics.wait, so nothing asynchronous
// would progress after that); the worker tells the pool it is ready, or why it is not, in a message.
import { parentPort, workerData } from 'node:worker_threads';
import { OptmsmError } from '../errors.js';
import { type ScoreOutcome, Scorer, type ScorerOptions } from './scorer.js';

/** The messages a worker posts to its pool besides task results. */
export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'failed'; code: OptmsmError['code'] | null; message: string; location?: string; expected?: string; found?: string; hint?: string };

const post = (message: WorkerMessage) => parentPort!.postMessage(message);

export default Scorer.open(workerData as ScorerOptions).then(
  (scorer) => {
    post({ kind: 'ready' });
    return (bodies: string[]): Promise<ScoreOutcome[]> => scorer.score(bodies);
  },
  // The worker stays up (a crash would race its own message to the pool); the pool is closed on this message.
  (error: unknown) => {
    post(error instanceof OptmsmError
      ? { kind: 'failed', code: error.code, message: error.message, location: error.location, expected: error.expected, found: error.found, hint: error.hint }
      : { kind: 'failed', code: null, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    return (): Promise<ScoreOutcome[]> => Promise.reject(error);
  },
);
