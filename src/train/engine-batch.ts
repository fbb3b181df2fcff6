// Glue between the data room's batches and the engine: the embedding layout of the fields, and a batch named as
// buildCtrGraph declares its inputs (ids per embedded field, `numeric`, `scenario`, `label`).
import type { Batch, FieldInfo } from '../data/index.js';
import type { EmbeddingField, EngineBatch } from '../engine/index.js';

/**
 * The embedding layout: a sequence indexes its vocabulary field's table, and one pooled by attention reaches the
 * model unpooled ([maxLen · dim], pooling 'none'): the model's attention layer pools it.
 */
export function embeddingFields(fields: readonly FieldInfo[]): (EmbeddingField & { table: string; maxLen: number; pooling: 'mean' | 'sum' | 'none' })[] {
  return fields
    .filter((f) => f.kind !== 'numeric')
    .map((f) => ({
      name: f.name, vocabSize: f.vocabSize, dim: f.embeddingDim, maxLen: f.maxLen, table: f.vocabulary ?? f.name,
      pooling: f.pooling === 'attention' ? 'none' : f.pooling,
    }));
}

/** The data batch as the engine takes it; `batch` must come from batchIterator with `fields` (the field order). */
export function toEngineBatch(batch: Batch): EngineBatch {
  const dense: EngineBatch['dense'] = {
    scenario: { data: batch.scenario, shape: [batch.size] },
    label: { data: batch.labelFloat, shape: [batch.size] },
  };
  const nNumeric = batch.numericFields.length;
  if (nNumeric > 0) dense.numeric = { data: batch.numeric, shape: [batch.size, nNumeric] };
  return { size: batch.size, ids: batch.ids, dense };
}
