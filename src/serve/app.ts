// The HTTP server over a finished run: raw rows in, click probabilities out, encoded by the run's own encoder and
// scored by its exported model.onnx, so the server answers exactly what `optmsm predict` writes.
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HTTP_STATUS, OptmsmError } from '../errors.js';
import { loadRun, type SavedRun, scoreColumns } from '../train/index.js';

const cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const predictBodySchema = z.strictObject({
  rows: z.array(z.record(z.string(), cell)).min(1).max(100_000).describe('raw rows, one object per impression'),
});

export interface AppOptions {
  run: string;
  threads?: number;
  logger?: boolean;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const run: SavedRun = await loadRun(options.run, { threads: options.threads });
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 64 * 1024 * 1024 });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof OptmsmError) {
      return reply.status(HTTP_STATUS[error.code]).send({ code: error.code, message: error.message, path: error.location ?? null });
    }
    const { statusCode, message } = error as { statusCode?: number; message?: string };
    if (statusCode && statusCode < 500) return reply.status(statusCode).send({ code: 'E_SERVE_BAD_REQUEST', message, path: null });
    app.log.error(error);
    return reply.status(500).send({ code: 'E_INTERNAL', message: 'internal error', path: null });
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.get('/model', async () => ({
    model: run.config.model,
    seed: run.config.seed,
    scenario_column: run.config.scenarios.column,
    scenarios: run.config.scenarios.values,
    features: run.config.fields.map((f) => ({ name: f.name, kind: f.kind, scope: f.scope })),
    test: run.metrics?.test ?? null,
  }));

  app.post('/predict', async (request) => {
    const parsed = predictBodySchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new OptmsmError('E_SERVE_BAD_REQUEST', issue.message, { location: ['body', ...issue.path.map(String)].join('.') });
    }
    const columns = run.encoder.encodeRows(parsed.data.rows);
    const probability = await scoreColumns(run, columns);
    const scenarios = run.config.scenarios.values;
    return {
      model: run.config.model,
      predictions: Array.from(probability, (p, i) => ({ probability: p, scenario: scenarios[columns.scenario[i]] })),
    };
  });

  app.addHook('onClose', async () => {
    await run.session.release();
  });
  return app;
}
