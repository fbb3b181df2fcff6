// The server's Prometheus metrics (prom-client, the standard Node client: text exposition format, histograms,
// process and event-loop metrics). One registry per app, so several apps in one process (tests) do not collide.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ModelInfo {
  model: string;
  seed: number;
  run: string;
  sha256: string;
  code_version: string;
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly latency: Histogram<'route' | 'method'>;
  readonly rowsScored: Counter<'scenario'>;
  readonly unknownKeys: Counter;
  readonly batchRequests: Histogram;

  constructor(model: ModelInfo, queueDepth: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'optmsm_' });
    this.requests = new Counter({
      name: 'optmsm_http_requests_total', help: 'HTTP requests answered, by route, method and status', labelNames: ['route', 'method', 'status'], registers,
    });
    this.latency = new Histogram({
      name: 'optmsm_http_request_duration_seconds', help: 'Time from request received to response sent, by route and method',
      labelNames: ['route', 'method'], registers,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.rowsScored = new Counter({ name: 'optmsm_rows_scored_total', help: 'Rows scored, by scenario', labelNames: ['scenario'], registers });
    this.unknownKeys = new Counter({
      name: 'optmsm_unknown_keys_total', help: 'Cells of request rows whose key is no column of the model (ignored, or rejected under --strict)', registers,
    });
    this.batchRequests = new Histogram({
      name: 'optmsm_batch_requests', help: 'Requests merged into one scoring batch', registers, buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    });
    new Gauge({
      name: 'optmsm_queue_depth', help: 'Prediction requests waiting or being scored', registers,
      collect() {
        this.set(queueDepth());
      },
    });
    new Gauge({
      name: 'optmsm_model_info', help: 'The served model (value 1): name, seed, run directory, sha256 of model.onnx, code version',
      labelNames: ['model', 'seed', 'run', 'sha256', 'code_version'], registers,
    }).set({ ...model, seed: String(model.seed) }, 1);
  }
}
