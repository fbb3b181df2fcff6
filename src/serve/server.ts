// The server as a process: listen first (a taken port or a bad address is a clear error, before the model loads),
// load and warm the model while /health/live already answers, then serve. A drain (SIGTERM or SIGINT under
// `optmsm serve`) turns /health/ready to 503, closes the port, lets in-flight requests finish and resolves.
import { OptmsmError } from '../errors.js';
import { buildApp, type ServeApp } from './app.js';
import type { ServeOptionsInput } from './options.js';

export interface ListenOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  address: string;
  served: ServeApp;
  /** Stops accepting, answers new requests on open connections 503, finishes in-flight ones, closes the workers. */
  drain(): Promise<void>;
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use by another process',
  EACCES: 'the port needs privileges this process does not have (ports below 1024)',
  EADDRNOTAVAIL: 'the host is not an address of this machine',
  ENOTFOUND: 'the host name does not resolve',
};

/** Builds the app and listens; the model may still be loading (await `served.ready`). */
export async function startServer(options: ServeOptionsInput & ListenOptions): Promise<RunningServer> {
  const { port = 8080, host = '127.0.0.1', ...appOptions } = options;
  const served = await buildApp(appOptions);
  const { app, state } = served;
  let address: string;
  try {
    address = await app.listen({ port, host });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!(code in LISTEN_ERRORS)) throw error;
    throw new OptmsmError('E_SERVE_LISTEN', `cannot listen on ${host}:${port}: ${LISTEN_ERRORS[code]}`, {
      location: `${host}:${port}`, found: code, hint: code === 'EADDRINUSE' ? 'choose another --port, or stop the process that holds it' : undefined,
    });
  }
  const drain = async () => {
    state.draining = true;
    await app.close();
  };
  return { address, served, drain };
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** `optmsm serve`: serves until SIGTERM or SIGINT, then drains (a second signal exits at once, status 1). */
export async function serve(options: ServeOptionsInput & ListenOptions): Promise<void> {
  const server = await startServer(options);
  const { app, options: resolved } = server.served;
  app.log.info({ address: server.address, run: resolved.run, workers: resolved.workers }, 'listening; loading the model');

  const stopped = new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        app.log.warn({ signal }, 'second signal: exiting without waiting for in-flight requests');
        process.exit(1);
      }
      stopping = true;
      app.log.info({ signal }, 'draining: no new requests, waiting for the in-flight ones');
      const deadline = setTimeout(() => {
        app.log.error({ drainTimeoutMs: resolved.drainTimeoutMs }, 'drain timed out; exiting with requests still in flight');
        process.exit(1);
      }, resolved.drainTimeoutMs);
      server.drain().then(() => {
        clearTimeout(deadline);
        for (const s of SIGNALS) process.removeListener(s, stop);
        app.log.info('drained');
        resolve();
      }, reject);
    };
    for (const s of SIGNALS) process.on(s, stop);
  });

  try {
    await server.served.ready;
  } catch (error) {
    await app.close();
    throw error;
  }
  app.log.info('ready: POST /predict, GET /model, GET /health/live, GET /health/ready, GET /metrics, GET /docs/json');
  await stopped;
}
