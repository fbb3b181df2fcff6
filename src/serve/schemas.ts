// The shapes of the server's answers, as Zod schemas: the types are inferred from them, tests check responses
// against them, and the OpenAPI description (/docs/json) is generated from them.
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors.js';

export const errorBodySchema = z.strictObject({
  code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]).describe('error code, see docs/errors.md'),
  message: z.string(),
  path: z.string().nullable().describe('where in the request the problem is, e.g. body.rows.3.user_id'),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const predictResponseSchema = z.strictObject({
  model: z.string(),
  predictions: z.array(z.strictObject({ probability: z.number().min(0).max(1), scenario: z.string() })),
  warnings: z.array(z.string()).optional().describe('keys of the rows that are no column of the model (ignored)'),
});
export type PredictResponse = z.infer<typeof predictResponseSchema>;

export const healthSchema = z.strictObject({ status: z.enum(['live', 'ready']) });

/** A Zod schema as the JSON Schema an OpenAPI document embeds (no $schema key). */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
