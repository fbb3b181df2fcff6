// Concatenating per-field embeddings (and numeric columns) by scope: the shared/specific partition of
// optmsm-model.md. Widths are known at build time so layers can size their weights before any tensor exists.
import { concat, slice, type Tensor } from '../../engine/index.js';
import { OptmsmError } from '../../errors.js';
import type { FieldInfo, ModelContext, ModelInputs } from '../model.js';

export type FieldFilter = (field: FieldInfo) => boolean;

export const allFields: FieldFilter = () => true;

/** Name of the scenario field: the context's, else the first specific categorical field. */
export function scenarioFieldName(ctx: ModelContext): string {
  const name = ctx.scenarioField ?? ctx.fields.find((f) => f.scope === 'specific' && f.kind === 'categorical')?.name;
  if (name === undefined || !ctx.fields.some((f) => f.name === name && f.kind !== 'numeric')) {
    throw new OptmsmError('E_MODEL_CONFIG', 'the dataset has no embedded scenario field', {
      expected: 'a categorical field with scope "specific" (the scenario column)',
      found: ctx.fields.map((f) => `${f.name}:${f.kind}/${f.scope}`).join(', '),
    });
  }
  return name;
}

/** F_sp: the scenario field and every field marked scenario-specific. */
export function specificFilter(ctx: ModelContext): FieldFilter {
  const scenario = scenarioFieldName(ctx);
  return (f) => f.name === scenario || f.scope === 'specific';
}

/** F_sh: every other field; the scenario field never enters it. */
export function sharedFilter(ctx: ModelContext): FieldFilter {
  const specific = specificFilter(ctx);
  return (f) => !specific(f);
}

export function namedFilter(names: readonly string[]): FieldFilter {
  const set = new Set(names);
  return (f) => set.has(f.name);
}

export function fieldsWidth(fields: readonly FieldInfo[], filter: FieldFilter): number {
  return fields.filter(filter).reduce((s, f) => s + (f.kind === 'numeric' ? 1 : f.embeddingDim), 0);
}

/** [B, fieldsWidth] in `fields` order: embeddings of matching fields, numeric columns in place. */
export function concatFields(inputs: ModelInputs, filter: FieldFilter): Tensor {
  const parts: Tensor[] = [];
  let numericIndex = 0;
  for (const field of inputs.fields) {
    if (field.kind === 'numeric') {
      if (filter(field) && inputs.numeric) parts.push(slice(inputs.numeric, 1, numericIndex, numericIndex + 1));
      numericIndex += 1;
    } else if (filter(field)) {
      parts.push(inputs.embeddings[field.name]);
    }
  }
  if (parts.length === 0) {
    throw new OptmsmError('E_MODEL_CONFIG', 'a model input selects no fields', {
      found: inputs.fields.map((f) => f.name).join(', '),
    });
  }
  return parts.length === 1 ? parts[0] : concat(parts, 1);
}
