// bench:serve's fixed-rate load: every due request is sent, answers are sorted into 2xx / 503 / other, and a
// stall of the server is counted in the latency of every request that was due while it lasted (the open loop),
// not only in the one request the stalled connection was serving.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pacedLoad, quantile } from '../../bench/lib/paced-load.js';

let server: Server | null = null;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A server answering each request after `delayMs(i)` with `status(i)` (i counts requests from 0). */
async function serve(delayMs: (i: number) => number, status: (i: number) => number = () => 200): Promise<string> {
  let i = 0;
  server = createServer((req, res) => {
    const n = i++;
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(status(n)).end('{}'), delayMs(n)));
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', () => done()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/predict`;
}

describe('pacedLoad', () => {
  it('sends every due request and sorts the answers by status', async () => {
    const url = await serve(() => 0, (i) => (i % 4 === 3 ? 503 : i % 4 === 2 ? 422 : 200));
    const r = await pacedLoad({ url, bodies: ['{"rows":[]}'], rate: 200, seconds: 0.5, connections: 4 });
    expect(r.due).toBe(100);
    expect(r.ok + r.shed + r.otherStatus + r.errors + r.timeouts).toBe(100);
    expect([r.ok, r.shed, r.otherStatus]).toEqual([50, 25, 25]);
    expect(r.latencies).toEqual([...r.latencies].sort((a, b) => a - b));
  });

  it('counts a stall in every request that was due during it', async () => {
    // One connection, a request due every 5 ms, the first answered after 200 ms: the requests due meanwhile
    // wait for the connection, and their latency counts from when they were due.
    const url = await serve((i) => (i === 0 ? 200 : 0));
    const r = await pacedLoad({ url, bodies: ['{}'], rate: 200, seconds: 0.5, connections: 1 });
    expect(r.ok).toBe(100);
    const stalled = r.latencies.filter((ms) => ms >= 50).length;
    // A closed loop would report one slow request; due every 5 ms, about 30 of them waited 50 ms or more.
    expect(stalled).toBeGreaterThanOrEqual(20);
    expect(quantile(r.latencies, 1)).toBeGreaterThanOrEqual(200);
  });

  it('records a refused connection as an error, not a latency', async () => {
    const url = await serve(() => 0);
    await new Promise<void>((done) => server!.close(() => done()));
    server = null;
    const r = await pacedLoad({ url, bodies: ['{}'], rate: 100, seconds: 0.1, connections: 2 });
    expect(r.errors).toBe(10);
    expect(r.latencies).toEqual([]);
  });
});
