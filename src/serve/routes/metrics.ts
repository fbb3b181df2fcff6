// GET /metrics: Prometheus text exposition of the server's registry.
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';

export function registerMetrics(app: FastifyInstance, ctx: ServeContext): void {
  const { registry } = ctx.metrics;
  app.get('/metrics', { schema: { summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()));
}
