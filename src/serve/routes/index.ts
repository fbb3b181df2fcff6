// Every endpoint: one file each, registered here.
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';
import { registerDocs } from './docs.js';
import { registerHealth } from './health.js';
import { registerMetrics } from './metrics.js';
import { registerModel } from './model.js';
import { registerPredict } from './predict.js';

export function registerRoutes(app: FastifyInstance, ctx: ServeContext): void {
  registerPredict(app, ctx);
  registerHealth(app, ctx);
  registerModel(app, ctx);
  registerMetrics(app, ctx);
  registerDocs(app);
}
