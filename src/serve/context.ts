// What the routes share: the verified run, its row contract, the batcher in front of the scoring backend, the
// metrics, the options and the server's state.
import type { RunFiles } from '../train/index.js';
import type { Batcher } from './batcher.js';
import type { ServerMetrics } from './metrics.js';
import type { ServeOptions } from './options.js';
import type { RowContract } from './rows.js';

export interface ServerState {
  /** Every scoring backend opened its run and passed its warm-up prediction. */
  ready: boolean;
  /** A shutdown began: new requests are answered 503 while in-flight ones finish. */
  draining: boolean;
}

export interface ServeContext {
  run: Omit<RunFiles, 'model'>;
  contract: RowContract;
  batcher: Batcher;
  metrics: ServerMetrics;
  options: ServeOptions;
  state: ServerState;
  /** The optmsm code version serving (git commit or package version). */
  serverVersion: string;
}
