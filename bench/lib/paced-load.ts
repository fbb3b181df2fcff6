// Open-loop load at a fixed rate: request i is due at t0 + i/rate whatever happened to the requests before it.
// No coordinated omission: a request due while the server stalls is still sent on time, and if every socket is
// busy it waits in the agent's queue, which counts in its latency. Latency counts from when the request was
// handed to the agent; how late the client's own timer handed it over after its due time is reported apart
// (`lag`), as the client's error, not the server's. autocannon's rate mode is not a fixed rate: each connection
// sends its quota for the second back to back when the second starts and then idles (so "2,000 req/s" is a
// burst at saturation every second), and its coordinated-omission correction uses an expected interval of 1 ms
// whatever the rate (autocannon 8-9: Math.ceil(1 / rate) with the rate per connection per second), adding
// t - 1 made-up samples for every response of t ms. bench:serve keeps autocannon for the saturation phases,
// where neither matters.
import { Agent, request } from 'node:http';

export interface PacedLoadOptions {
  url: string;
  /** Request bodies (JSON), cycled over. */
  bodies: readonly string[];
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** Keep-alive sockets at most; a request due while all are busy waits for one, and the wait counts. */
  connections: number;
  timeoutMs?: number;
}

export interface PacedLoadResult {
  due: number;
  ok: number;
  /** 503 answers (shed). */
  shed: number;
  /** Other non-2xx answers. */
  otherStatus: number;
  errors: number;
  timeouts: number;
  /** Latency of every 2xx answer from when it was sent, milliseconds, ascending. */
  latencies: number[];
  /** How late each request was sent after its due time (the client's timer), milliseconds, ascending. */
  lag: number[];
  seconds: number;
}

/** The q-quantile of ascending values (NaN for none). */
export const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const { url, rate, seconds, connections, timeoutMs = 10_000 } = options;
  const bodies = options.bodies.map((b) => Buffer.from(b));
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const result: PacedLoadResult = { due: total, ok: 0, shed: 0, otherStatus: 0, errors: 0, timeouts: 0, latencies: [], lag: [], seconds };
  let inFlight = 0;
  let sent = 0;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const settle = () => {
    inFlight--;
    if (sent === total && inFlight === 0) finished();
  };

  const fire = (i: number, due: number) => {
    const body = bodies[i % bodies.length]!;
    const sentAt = performance.now();
    result.lag.push(sentAt - due);
    inFlight++;
    let settled = false;
    const once = (record: () => void) => {
      if (settled) return;
      settled = true;
      record();
      settle();
    };
    const req = request(url, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length },
    }, (res) => {
      res.resume();
      res.on('end', () => once(() => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) result.latencies.push(performance.now() - sentAt);
        else if (status === 503) result.shed++;
        else result.otherStatus++;
      }));
    });
    req.setTimeout(timeoutMs, () => {
      once(() => result.timeouts++);
      req.destroy();
    });
    req.on('error', () => once(() => result.errors++));
    req.end(body);
  };

  const start = performance.now();
  await new Promise<void>((scheduled) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        fire(sent, start + sent * interval);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
      else scheduled();
    };
    tick();
  });
  if (inFlight > 0) await allDone;
  agent.destroy();
  result.latencies.sort((a, b) => a - b);
  result.lag.sort((a, b) => a - b);
  result.ok = result.latencies.length;
  return result;
}
