// POST /predict: raw rows in, one probability per row out. The body reaches the handler as text and is parsed,
// checked and encoded by the scorer (in a worker), so the HTTP thread only queues it.
import type { FastifyInstance, FastifySchema } from 'fastify';
import { OptmsmError } from '../../errors.js';
import type { ServeContext } from '../context.js';
import { RETRY_AFTER_SECONDS } from '../http-error.js';
import { errorBodySchema, openApiSchema, predictResponseSchema } from '../schemas.js';

export function registerPredict(app: FastifyInstance, ctx: ServeContext): void {
  const error = openApiSchema(errorBodySchema);
  const schema: FastifySchema = {
    summary: 'Click probabilities of raw rows',
    description: 'Rows are objects keyed by the raw columns of the training data (GET /model lists them). '
      + 'Keys that are no column are ignored and reported in `warnings` (rejected with --strict).',
    body: openApiSchema(ctx.contract.request),
    response: { 200: openApiSchema(predictResponseSchema), 400: error, 413: error, 415: error, 422: error, 500: error, 503: error },
  };
  app.post('/predict', {
    schema,
    // The scorer validates the body with the run's Zod row contract, off the event loop.
    validatorCompiler: () => () => true,
  }, async (request, reply) => {
    if (typeof request.body !== 'string') {
      throw new OptmsmError('E_SERVE_BAD_JSON', 'the request has no JSON body', { location: 'body', expected: '{"rows": [{...}, ...]}' });
    }
    const outcome = await ctx.batcher.submit(request.body);
    const names = ctx.run.config.scenarios.values;
    outcome.scenarioRows.forEach((n, s) => n > 0 && ctx.metrics.rowsScored.inc({ scenario: names[s] }, n));
    if (outcome.unknownKeyCells > 0) ctx.metrics.unknownKeys.inc(outcome.unknownKeyCells);
    if (outcome.status === 503) {
      request.log.warn({ code: outcome.code }, 'prediction refused');
      reply.header('retry-after', RETRY_AFTER_SECONDS);
    } else if (outcome.status >= 500) request.log.error({ code: outcome.code, detail: outcome.detail }, 'prediction failed');
    return reply.code(outcome.status).type('application/json').send(outcome.body);
  });
}
