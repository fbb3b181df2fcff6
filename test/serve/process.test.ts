// `optmsm serve` as a process, as a supervisor runs it: SIGTERM drains (the port closes at once, an in-flight
// request still gets its answer, exit 0), a tampered or mismatched model refuses to start, a taken port and a
// bad --port are clear errors, and slow clients are cut off by the header and request timeouts.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/serve/index.js';
import { writeManifest } from '../../src/train/index.js';
import { ROW, trainServedRun } from './fixture.js';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/optmsm.js');

interface Served {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function optmsmServe(args: string[]): Served {
  const child = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  return { child, output: () => output, exit };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const addressOf = (served: Served) => until('the listening line', () => served.output().match(/"address":"(http:\/\/[^"]+)"/)?.[1]);
const portOf = (address: string) => Number(new URL(address).port);

/** A raw HTTP/1.1 connection, so a request can be sent in parts. */
function rawConnection(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((ready, fail) => {
    const socket = connect(port, '127.0.0.1', () => ready({ socket, received: () => received, closed }));
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', fail);
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
  });
}

const refusesConnections = (port: number) => new Promise<boolean>((done) => {
  const socket = connect(port, '127.0.0.1', () => {
    socket.destroy();
    done(false);
  });
  socket.on('error', () => done(true));
});

let run: string;
beforeAll(async () => {
  run = await trainServedRun();
});

describe('optmsm serve, spawned', () => {
  it('SIGTERM closes the port within a few seconds, lets the in-flight request finish, and exits 0; a 503 is logged with its request id', async () => {
    const served = optmsmServe(['--run', run, '--port', '0', '--workers', '1', '--max-queue', '1', '--batch-wait-ms', '100']);
    const address = await addressOf(served);
    const port = portOf(address);
    await until('ready', async () => ((await fetch(`${address}/health/ready`).catch(() => null))?.ok ? true : undefined));
    // The first request waits 100 ms for company, so the second (sent 50 ms later) finds the queue full.
    const predict = (id: string) => fetch(`${address}/predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify({ rows: [ROW] }) });
    const [kept, shed] = await Promise.all([predict('first'), new Promise((r) => setTimeout(r, 50)).then(() => predict('second'))]);
    expect([kept.status, shed.status]).toEqual([200, 503]);
    await until('the 503 in the log', () => (/"level":40,[^\n]*"reqId":"second"[^\n]*"code":"E_SERVE_OVERLOADED"/.test(served.output()) ? true : undefined), 5_000);
    // A request whose body is still arriving when the signal comes.
    const body = JSON.stringify({ rows: [ROW] });
    const { socket, received, closed } = await rawConnection(port);
    socket.write(`POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((r) => setTimeout(r, 100));
    served.child.kill('SIGTERM');
    await until('the port to close (5 s)', async () => ((await refusesConnections(port)) ? true : undefined), 5_000);
    socket.write(body.slice(10));
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(received()).toContain('"probability"');
    expect(await served.exit).toEqual({ code: 0, signal: null });
    expect(served.output()).toContain('drained');
  });

  it('refuses a model.onnx that is not the one the run was saved with', async () => {
    const tampered = await trainServedRun();
    const model = readFileSync(join(tampered, 'model.onnx'));
    model[model.length - 100] ^= 0xff; // one flipped byte in the weights
    writeFileSync(join(tampered, 'model.onnx'), model);
    const served = optmsmServe(['--run', tampered, '--port', '0']);
    expect((await served.exit).code).toBe(1);
    expect(served.output()).toContain('E_RUN_CHECKSUM');
    expect(served.output()).toContain('model.onnx is not the file this run was saved with');
    expect(served.output()).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('a taken port and a port out of range are clear errors', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const taken = (holder.address() as { port: number }).port;
    const served = optmsmServe(['--run', run, '--port', String(taken)]);
    expect((await served.exit).code).toBe(1);
    expect(served.output()).toContain(`cannot listen on 127.0.0.1:${taken}: the port is already in use`);
    expect(served.output()).toContain('E_SERVE_LISTEN');
    holder.close();
    const bad = optmsmServe(['--run', run, '--port', '99999']);
    expect((await bad.exit).code).not.toBe(0);
    expect(bad.output()).toContain("expected a TCP port from 0 to 65535, got '99999'");
    expect(bad.output()).not.toContain('bug in optmsm');
  });
});

describe('files from different runs', () => {
  it('a model.onnx copied from a run with other vocabularies refuses to start, even with a rewritten manifest', async () => {
    const other = await trainServedRun({ users: 8 });
    const target = await trainServedRun();
    copyFileSync(join(other, 'model.onnx'), join(target, 'model.onnx'));
    const served = optmsmServe(['--run', target, '--port', '0']);
    expect((await served.exit).code).toBe(1);
    expect(served.output()).toContain('E_RUN_CHECKSUM');
    writeManifest(target, 'rewritten');
    const rewritten = optmsmServe(['--run', target, '--port', '0']);
    expect((await rewritten.exit).code).toBe(1);
    expect(rewritten.output()).toContain('E_RUN_INCOMPATIBLE');
    expect(rewritten.output()).toContain('fails its warm-up prediction');
  });
});

describe('slow clients', () => {
  it('partial headers and a stalled body are cut off by --headers-timeout-ms and --request-timeout-ms', async () => {
    const server = await startServer({ run, port: 0, workers: 0, logLevel: 'silent', headersTimeoutMs: 300, requestTimeoutMs: 600 });
    await server.served.ready;
    const port = portOf(server.address);
    const headers = await rawConnection(port);
    headers.socket.write('POST /predict HTTP/1.1\r\nHost: x\r\n');
    const body = await rawConnection(port);
    body.socket.write('POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"rows"');
    let cut = false;
    void Promise.all([headers.closed, body.closed]).then(() => (cut = true));
    await until('both connections to be closed by the server (5 s)', () => (cut ? true : undefined), 5_000);
    expect(headers.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(body.received()).toMatch(/^HTTP\/1\.1 408 /);
    await server.drain();
  });
});
