// Every knob of the server, with its default and why. The CLI flags map one to one onto these keys; the schema is
// the one place the defaults live (docs/serving.md lists them).
import { availableParallelism } from 'node:os';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Scoring threads by default: one per core beyond the one the HTTP event loop needs, at least one. */
export const defaultWorkers = (): number => Math.max(1, Math.min(4, availableParallelism() - 1));

const int = (min: number) => z.number().int().min(min);

export const serveOptionsSchema = z.strictObject({
  run: z.string().min(1),
  /** Scoring worker threads, each with its own ONNX Runtime session; 0 scores on the event loop itself. */
  workers: int(0).default(defaultWorkers),
  /** ONNX Runtime intra-op threads per session. */
  threads: int(1).default(1),
  /** Most rows in one ONNX Runtime run: concurrent requests are merged up to this many rows. */
  batchRows: int(1).default(256),
  /** How long a batch may wait for more requests before it is scored, in milliseconds (0: score at once). */
  batchWaitMs: z.number().min(0).max(100).default(1),
  /** Requests queued or being scored before new ones are shed with 503 and Retry-After. */
  maxQueue: int(1).default(256),
  /** Rows in one request; more is 413. */
  maxRows: int(1).default(10_000),
  /** Bytes of one request body; more is 413. */
  bodyLimit: int(1024).default(8 * 1024 * 1024),
  /** Milliseconds to receive a request's headers (slowloris defence); Node's headersTimeout. */
  headersTimeoutMs: int(1).default(10_000),
  /** Milliseconds to receive a whole request, headers and body; Node's requestTimeout. */
  requestTimeoutMs: int(1).default(30_000),
  /** Milliseconds an idle keep-alive connection is kept open. */
  keepAliveTimeoutMs: int(1).default(5_000),
  /** Milliseconds a request may wait for its score (queue and scoring) before it is answered 503. */
  scoreTimeoutMs: int(1).default(10_000),
  /** Milliseconds a shutdown waits for in-flight requests before it exits anyway (with status 1). */
  drainTimeoutMs: int(0).default(10_000),
  /** Reject rows with keys that are no column of the model (by default they are ignored and reported). */
  strict: z.boolean().default(false),
  logLevel: z.enum(LOG_LEVELS).default('info'),
}).refine((o) => o.headersTimeoutMs <= o.requestTimeoutMs, {
  message: 'headersTimeoutMs must not exceed requestTimeoutMs (the headers are part of the request)', path: ['headersTimeoutMs'],
});

export type ServeOptions = z.output<typeof serveOptionsSchema>;
export type ServeOptionsInput = z.input<typeof serveOptionsSchema>;
