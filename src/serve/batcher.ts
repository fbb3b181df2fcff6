// Dynamic micro-batching with a bounded queue. Requests wait here until a scoring slot is free; a free slot takes
// every waiting request (up to batchRows requests and MAX_BATCH_BYTES of bodies) once the oldest has waited
// batchWaitMs or the batch is full, so batches stay small when the server is idle and grow with the load.
// Past maxQueue requests (waiting or being scored) a request is shed at once with 503 and Retry-After: a client
// is told to come back rather than left to time out. A slot is a batch the backend accepts at once (two per
// worker, see backend.ts).
import { OptmsmError } from '../errors.js';
import type { ScoringBackend } from './backend.js';
import { errorBody, statusOf } from './http-error.js';
import type { ScoreOutcome } from './scorer.js';

/** One dispatch carries at most this many bytes of bodies, so a worker's batch stays a few milliseconds long. */
export const MAX_BATCH_BYTES = 1 << 20;

export interface BatcherOptions {
  batchRows: number;
  batchWaitMs: number;
  maxQueue: number;
  scoreTimeoutMs: number;
}

interface Pending {
  body: string;
  enqueued: number;
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve: (outcome: ScoreOutcome) => void;
}

export interface BatchStats {
  /** Requests per dispatched batch. */
  onBatch?: (requests: number) => void;
}

function failureOutcome(error: OptmsmError, detail?: string): ScoreOutcome {
  return { status: statusOf(error.code), body: JSON.stringify(errorBody(error)), scenarioRows: [], unknownKeyCells: 0, code: error.code, ...(detail ? { detail } : {}) };
}

export class Batcher {
  private readonly waiting: Pending[] = [];
  private waitingCount = 0;
  private scoringRequests = 0;
  private busySlots = 0;
  private wakeUp: NodeJS.Timeout | null = null;
  private idleResolvers: (() => void)[] = [];
  private backend: ScoringBackend | null = null;

  private readonly overloaded: ScoreOutcome;
  private readonly notReady = failureOutcome(new OptmsmError('E_SERVE_NOT_READY', 'the model is still loading (GET /health/ready says when it is ready)'));

  constructor(private readonly options: BatcherOptions, private readonly stats: BatchStats = {}) {
    this.overloaded = failureOutcome(new OptmsmError('E_SERVE_OVERLOADED', `the server is at its limit of ${options.maxQueue} requests in flight (--max-queue)`, {
      hint: 'retry after the Retry-After seconds',
    }));
  }

  /** Scoring starts once the backend is open (until then submit answers 503 E_SERVE_NOT_READY). */
  start(backend: ScoringBackend): void {
    this.backend = backend;
  }

  /** Requests waiting or being scored. */
  get depth(): number {
    return this.waitingCount + this.scoringRequests;
  }

  /**
   * The outcome of one request body. A full queue (or a backend not open yet) answers at once with a prebuilt
   * 503: under a storm of retries the HTTP thread spends its time here, so a refusal must cost next to nothing.
   */
  submit(body: string): ScoreOutcome | Promise<ScoreOutcome> {
    if (this.backend === null) return this.notReady;
    if (this.depth >= this.options.maxQueue) return this.overloaded;
    return new Promise((resolve) => {
      const pending: Pending = {
        body, enqueued: performance.now(), settled: false, resolve,
        timer: setTimeout(() => this.timeOut(pending), this.options.scoreTimeoutMs),
      };
      this.waiting.push(pending);
      this.waitingCount++;
      this.pump();
    });
  }

  /** Resolves when nothing is waiting or being scored (for a graceful drain). */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleResolvers.push(resolve));
  }

  private settle(pending: Pending, outcome: ScoreOutcome): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    pending.resolve(outcome);
  }

  private timeOut(pending: Pending): void {
    if (pending.settled) return;
    const error = new OptmsmError('E_SERVE_TIMEOUT', `the request was not scored within ${this.options.scoreTimeoutMs} ms (--score-timeout)`);
    this.settle(pending, failureOutcome(error));
    // A waiting request stops counting now; one being scored counts until its batch returns.
    if (this.waiting.includes(pending)) this.waitingCount--;
    this.checkIdle();
  }

  private pump(): void {
    const backend = this.backend!;
    while (this.busySlots < backend.slots && this.waitingCount > 0) {
      const oldest = this.waiting.find((p) => !p.settled)!;
      const waited = performance.now() - oldest.enqueued;
      if (this.waitingCount < this.options.batchRows && waited < this.options.batchWaitMs) {
        this.wakeUp ??= setTimeout(() => {
          this.wakeUp = null;
          this.pump();
        }, this.options.batchWaitMs - waited);
        return;
      }
      this.dispatch(backend, this.take());
    }
  }

  private take(): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    while (this.waiting.length > 0 && batch.length < this.options.batchRows) {
      const next = this.waiting[0]!;
      if (next.settled) {
        this.waiting.shift();
        continue;
      }
      if (batch.length > 0 && bytes + next.body.length > MAX_BATCH_BYTES) break;
      this.waiting.shift();
      bytes += next.body.length;
      batch.push(next);
    }
    this.waitingCount -= batch.length;
    return batch;
  }

  private dispatch(backend: ScoringBackend, batch: Pending[]): void {
    this.busySlots++;
    this.scoringRequests += batch.length;
    this.stats.onBatch?.(batch.length);
    backend.score(batch.map((p) => p.body)).then(
      (outcomes) => batch.forEach((p, i) => this.settle(p, outcomes[i]!)),
      (error: unknown) => {
        const failure = failureOutcome(new OptmsmError('E_INTERNAL', 'internal error (logged by the server)'), error instanceof Error ? (error.stack ?? error.message) : String(error));
        for (const p of batch) this.settle(p, failure);
      },
    ).finally(() => {
      this.busySlots--;
      this.scoringRequests -= batch.length;
      this.checkIdle();
      this.pump();
    });
  }

  private checkIdle(): void {
    if (this.depth > 0) return;
    for (const resolve of this.idleResolvers.splice(0)) resolve();
  }
}
