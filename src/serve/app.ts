// The HTTP server over a finished run: raw rows in, click probabilities out, encoded by the run's own encoder and
// scored by its verified model.onnx, so the server answers exactly what `optmsm predict` writes. The event loop
// only receives, queues and answers requests; parsing, encoding and scoring run in the scoring backend
// (backend.ts) behind a micro-batching, load-shedding queue (batcher.ts).
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { fromZodError, OptmsmError } from '../errors.js';
import { codeVersion, readRun } from '../train/index.js';
import { inlineBackend, type ScoringBackend, workerBackend } from './backend.js';
import { Batcher } from './batcher.js';
import type { ServeContext, ServerState } from './context.js';
import { errorBody, RETRY_AFTER_SECONDS, statusOf } from './http-error.js';
import { ServerMetrics } from './metrics.js';
import { type ServeOptionsInput, serveOptionsSchema } from './options.js';
import { registerRoutes } from './routes/index.js';
import { rowContract } from './rows.js';

export interface ServeApp {
  app: FastifyInstance;
  state: ServerState;
  options: ServeContext['options'];
  /**
   * Resolves once the scoring backend has opened the run and passed its warm-up prediction (the server is then
   * ready); rejects with the reason it could not. The app answers /health/live and /model before that.
   */
  ready: Promise<void>;
}

/** Fastify's own errors (body parsing, limits) in the catalogue's terms. */
function fastifyError(error: FastifyError): OptmsmError {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OptmsmError('E_SERVE_BODY_TOO_LARGE', 'the request body is larger than the server accepts (--body-limit)', { location: 'body' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OptmsmError('E_SERVE_UNSUPPORTED_MEDIA_TYPE', `the request body must be application/json: ${error.message}`, {
        location: 'headers.content-type', expected: 'application/json',
      });
    default:
      return new OptmsmError('E_SERVE_BAD_REQUEST', error.message);
  }
}

// Request ids: the caller's X-Request-Id when it sends a sane one, else this process's prefix and a counter.
const idPrefix = randomBytes(4).toString('hex');
let requestCount = 0;
const requestId = (header: string | string[] | undefined): string =>
  typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : `${idPrefix}-${(++requestCount).toString(36)}`;

export async function buildApp(input: ServeOptionsInput): Promise<ServeApp> {
  const parsed = serveOptionsSchema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error, { name: 'serve options' });
  const options = parsed.data;
  const { model: _bytes, ...run } = readRun(options.run);
  const state: ServerState = { ready: false, draining: false };
  const app = Fastify({
    // Logs go out asynchronously (pino flushes them at exit): a synchronous write per line would put a system call
    // into every 503 of an overload.
    logger: { level: options.logLevel, stream: pino.destination({ dest: 1, sync: false }) },
    // One debug line per answered request (onResponse below) instead of Fastify's two info lines: at thousands
    // of requests a second those would cost more than the scoring.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => requestId(req.headers['x-request-id']),
    bodyLimit: options.bodyLimit,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    // Node checks header and request deadlines every connectionsCheckingInterval (30 s by default), which would
    // let a slowloris client hold a socket for that long past --headers-timeout.
    http: { headersTimeout: options.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs) },
    // The drain answers in our error format (the onRequest hook below), not Fastify's.
    return503OnClosing: false,
  });
  const metrics = new ServerMetrics(
    { model: run.config.model, seed: run.config.seed, run: run.dir, sha256: run.manifest.files['model.onnx'].sha256, code_version: run.manifest.code_version },
    () => batcher.depth,
  );
  const batcher = new Batcher(options, { onBatch: (n) => metrics.batchRequests.observe(n) });
  const ctx: ServeContext = { run, contract: rowContract(run.encoder, options.maxRows), batcher, metrics, options, state, serverVersion: codeVersion() };

  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError | OptmsmError, request, reply) => {
    const known = error instanceof OptmsmError ? error : error.statusCode !== undefined && error.statusCode < 500 ? fastifyError(error) : null;
    if (known === null) {
      request.log.error({ err: error }, 'internal error');
      return reply.status(500).send({ code: 'E_INTERNAL', message: 'internal error (logged by the server)', path: null });
    }
    const status = statusOf(known.code);
    // Every 5xx is logged: a failure at error level, a refusal the client can retry (503) at warn.
    if (status >= 500) request.log[status === 503 ? 'warn' : 'error']({ code: known.code }, known.message);
    if (status === 503) reply.header('retry-after', RETRY_AFTER_SECONDS);
    return reply.status(status).send(errorBody(known));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(statusOf('E_SERVE_NOT_FOUND')).send(errorBody(new OptmsmError('E_SERVE_NOT_FOUND', `no endpoint ${request.method} ${request.url.split('?')[0]}`, {
      expected: 'POST /predict, GET /model, GET /health/live, GET /health/ready, GET /metrics, GET /docs/json',
    }), 'url')));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (state.draining && !request.url.startsWith('/health/')) {
      throw new OptmsmError('E_SERVE_DRAINING', 'the server is shutting down; send the request to another instance', { hint: 'retry after the Retry-After seconds' });
    }
  });
  // A response sent while draining closes its connection: Node closes the idle keep-alive connections once, when
  // the drain starts, so one that was busy then would otherwise stay open until --keep-alive-timeout-ms.
  app.addHook('onSend', async (_request, reply) => {
    if (state.draining) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route, method: request.method }, reply.elapsedTime / 1000);
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request answered');
  });
  const scorerOptions = { run: options.run, threads: options.threads, batchRows: options.batchRows, maxRows: options.maxRows, strict: options.strict };
  const opening: Promise<ScoringBackend> = options.workers === 0 ? inlineBackend(scorerOptions) : workerBackend(scorerOptions, options.workers);
  const ready = opening.then((backend) => {
    batcher.start(backend);
    state.ready = true;
  });
  ready.catch(() => {}); // the caller gets the reason from `ready`; the close hook must not throw it again
  app.addHook('onClose', async () => {
    await batcher.idle();
    const backend = await opening.catch(() => null);
    await backend?.close();
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'optmsm model server', version: ctx.serverVersion, description: `Serves ${run.config.model} from ${run.dir}` },
    },
  });
  registerRoutes(app, ctx);
  await app.ready();
  return { app, state, options, ready };
}
