// GET /model: what is served. The run, its features and scenarios, test metrics, the code versions, the sha256 of
// each model file, and the JSON Schema of one row (what a client must send).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServeContext } from '../context.js';

export function registerModel(app: FastifyInstance, ctx: ServeContext): void {
  const { run } = ctx;
  const body = {
    model: run.config.model,
    seed: run.config.seed,
    run: run.dir,
    code_version: run.manifest.code_version,
    server_version: ctx.serverVersion,
    checksums: Object.fromEntries(Object.entries(run.manifest.files).map(([file, d]) => [file, `sha256:${d.sha256}`])),
    scenario_column: run.config.scenarios.column,
    scenarios: run.config.scenarios.values,
    columns: { required: ctx.contract.required, optional: ctx.contract.optional },
    features: run.config.fields.map((f) => ({ name: f.name, kind: f.kind, scope: f.scope })),
    row_schema: z.toJSONSchema(ctx.contract.row, { unrepresentable: 'any' }),
    limits: { max_rows: ctx.options.maxRows, body_limit_bytes: ctx.options.bodyLimit, strict: ctx.options.strict },
    test: run.metrics?.test ?? null,
  };
  app.get('/model', { schema: { summary: 'The served model, its checksums and the JSON Schema of a row' } }, async () => body);
}
