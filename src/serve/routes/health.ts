// GET /health/live: the process answers. GET /health/ready: the model is loaded, passed its warm-up prediction
// and the server is not draining; a load balancer routes traffic only while this is 200.
import type { FastifyInstance } from 'fastify';
import { OptmsmError } from '../../errors.js';
import type { ServeContext } from '../context.js';
import { errorBodySchema, healthSchema, openApiSchema } from '../schemas.js';

export function registerHealth(app: FastifyInstance, ctx: ServeContext): void {
  const schema = { response: { 200: openApiSchema(healthSchema), 503: openApiSchema(errorBodySchema) } };
  app.get('/health/live', { schema: { ...schema, summary: 'Liveness: the process is up' } }, async () => ({ status: 'live' }));
  app.get('/health/ready', { schema: { ...schema, summary: 'Readiness: the model is loaded and warm, and the server is not draining' } }, async () => {
    if (ctx.state.draining) throw new OptmsmError('E_SERVE_DRAINING', 'the server is shutting down');
    if (!ctx.state.ready) throw new OptmsmError('E_SERVE_NOT_READY', 'the model has not passed its warm-up prediction yet');
    return { status: 'ready' };
  });
}
