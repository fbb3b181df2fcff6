// What to fit and what to read: the encoder's fields before fitting (field 0 the scenario, then the features in
// config order) and the columns a Source must read for them, each under its alias (contracts.ts).
import { cellAlias, extraAlias, historyKeyAlias, historyTimeAlias, SCENARIO_FIELD, SQL } from '../contracts.js';
import type { FieldState } from '../feature-encoder.js';
import type { LabelRule } from '../label-rule.js';
import { fieldNamesOf, type DatasetConfig, type FeatureSpec } from '../schema.js';
import type { ColumnRequest } from '../source.js';
import type { DateFrom } from '../encoders/date.js';
import type { NumericStats } from '../encoders/numeric.js';

/** A field to fit: its state (vocabularies, stats and boundaries still empty) and the feature spec it came from. */
export interface FieldPlan {
  state: FieldState;
  /** null for the scenario field. */
  spec: FeatureSpec | null;
}

const EMPTY_STATS: NumericStats = { count: 0, min: 0, max: 0, mean: 0, std: 0, median: 0 };

/** The fields of one feature: one, or for a date feature one per part (named as fieldNamesOf says). */
function statesOf(f: FeatureSpec, config: DatasetConfig): FieldState[] {
  if (f.kind !== 'date') return [stateOf(f, config)];
  const names = fieldNamesOf(f);
  return f.parts.map((part, k): FieldState => {
    const name = names[k]!;
    if (part !== 'days') return { source: 'date-part', name, column: f.column, scope: f.scope, embeddingDim: f.embeddingDim, part, from: f.from };
    // The reference is fitted on train (the earliest training day) unless given.
    const days = { from: f.from, reference: 0 };
    const fill = typeof f.fill === 'number' ? f.fill : null;
    return f.buckets !== null
      ? { source: 'bucket', name, column: f.column, scope: f.scope, embeddingDim: f.embeddingDim, boundaries: new Array<number>(f.buckets - 1).fill(0), stats: EMPTY_STATS, fill, days }
      : { source: 'numeric', name, column: f.column, scope: f.scope, normalize: f.normalize, stats: EMPTY_STATS, fill, days };
  });
}

function stateOf(f: Exclude<FeatureSpec, { kind: 'date' }>, config: DatasetConfig): FieldState {
  if (f.kind === 'categorical') {
    return { source: 'categorical', name: f.name, column: f.column, scope: f.scope, embeddingDim: f.embeddingDim, vocab: f.hashBuckets !== null ? null : [], hashBuckets: f.hashBuckets, minCount: f.minCount };
  }
  if (f.kind === 'multi') {
    return {
      source: 'multi', name: f.name, column: f.column, scope: f.scope, embeddingDim: f.embeddingDim, vocab: f.hashBuckets !== null ? null : [],
      hashBuckets: f.hashBuckets, minCount: f.minCount, separator: f.separator, maxLen: f.maxLen, pooling: f.pooling,
    };
  }
  if (f.kind === 'sequence') {
    const base = config.features.find((g) => g.name === f.vocabulary && g.kind === 'categorical');
    const history = config.histories.find((h) => h.name === f.column);
    return {
      source: 'sequence', name: f.name, column: f.column, scope: f.scope, embeddingDim: base && base.kind === 'categorical' ? base.embeddingDim : 0,
      vocabulary: f.vocabulary, separator: f.separator, maxLen: f.maxLen, pooling: f.pooling,
      history: history ? { key: history.key, time: history.time, values: history.values } : null,
    };
  }
  const fill = typeof f.fill === 'number' ? f.fill : null;
  if (f.buckets !== null) {
    // boundaries starts as B-1 zeros; fitting sets them to the training quantiles.
    return { source: 'bucket', name: f.name, column: f.column, scope: f.scope, embeddingDim: f.embeddingDim, boundaries: new Array<number>(f.buckets - 1).fill(0), stats: EMPTY_STATS, fill };
  }
  return { source: 'numeric', name: f.name, column: f.column, scope: f.scope, normalize: f.normalize, stats: EMPTY_STATS, fill };
}

/** The fields of a dataset config, field SCENARIO_FIELD first (contracts.ts). */
export function planFields(config: DatasetConfig): FieldPlan[] {
  const scenario: FieldState = { source: 'scenario', name: config.scenario.column, column: config.scenario.column, scope: 'specific', embeddingDim: config.scenario.embeddingDim };
  return [{ state: scenario, spec: null }, ...config.features.flatMap((f) => statesOf(f, config).map((state): FieldPlan => ({ state, spec: f })))];
}

export const isNumeric = (f: FieldState): f is Extract<FieldState, { source: 'numeric' | 'bucket' }> => f.source === 'numeric' || f.source === 'bucket';
/** Fields whose cells become codes of distinct values (the others read numbers or dates). */
export const hasCodes = (f: FieldState): f is Extract<FieldState, { source: 'scenario' | 'categorical' | 'multi' }> =>
  f.source === 'scenario' || f.source === 'categorical' || f.source === 'multi';

/** The columns to read for the fields (fitted or not): field i reads into cellAlias(i). */
export function columnRequests(
  fields: readonly FieldState[], label: LabelRule, extraColumns: readonly string[], labelOptional: boolean, splitColumn: string | null,
): ColumnRequest[] {
  const out: ColumnRequest[] = [
    { alias: cellAlias(SCENARIO_FIELD), column: fields[SCENARIO_FIELD]!.column, type: 'text', purpose: 'the scenario' },
    { alias: SQL.labelCell, column: label.column, type: 'text', purpose: 'the label', optional: labelOptional },
  ];
  if (splitColumn !== null) out.push({ alias: SQL.splitCell, column: splitColumn, type: 'text', purpose: 'the split' });
  fields.forEach((f, i) => {
    if (f.source === 'scenario') return;
    if (f.source === 'sequence' && f.history !== null) {
      // A derived history reads its key and time; its values are the vocabulary field's cells.
      out.push({ alias: historyKeyAlias(i), column: f.history.key, type: 'text', purpose: `the history '${f.column}' (key)` });
      out.push({ alias: historyTimeAlias(i), column: f.history.time, type: 'number', purpose: `the history '${f.column}' (time)` });
      return;
    }
    const from = f.source === 'date-part' ? f.from : isNumeric(f) ? f.days?.from : undefined;
    const tokens = f.source === 'multi' || f.source === 'sequence';
    const type = from !== undefined ? 'date' : tokens ? 'tokens' : f.source === 'categorical' ? 'text' : 'number';
    out.push({ alias: cellAlias(i), column: f.column, type, separator: tokens ? f.separator : undefined, from, purpose: `feature '${f.name}'` });
  });
  // At prediction time (label optional) the carried columns are optional too: absent ones read as NaN.
  extraColumns.forEach((c, j) => out.push({ alias: extraAlias(j), column: c, type: 'number', purpose: 'extra_columns', optional: labelOptional }));
  return out;
}

/** One field per date column, for validation: its cells must be dates of its form. */
export function dateChecks(fields: readonly FieldState[]): { field: number; column: string; from: DateFrom }[] {
  const seen = new Set<string>();
  return fields.flatMap((f, i) => {
    const from = f.source === 'date-part' ? f.from : isNumeric(f) ? f.days?.from : undefined;
    if (from === undefined || seen.has(f.column)) return [];
    seen.add(f.column);
    return [{ field: i, column: f.column, from }];
  });
}
