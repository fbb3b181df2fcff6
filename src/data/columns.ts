// The encoded columns: the shapes every stage after encoding shares (docs/architecture.md, "data"), the column
// keys and layout an encoder's output has, and the sink interface the encode pass writes into (memory here, the
// cache files in store.ts).

export interface FieldInfo {
  name: string;
  kind: 'categorical' | 'multi' | 'numeric' | 'sequence';
  scope: 'shared' | 'specific';
  /** Rows of the embedding table including pad (0) and OOV (1); 0 for numeric fields. */
  vocabSize: number;
  /** 0 for numeric fields. */
  embeddingDim: number;
  /** 1 unless multi or sequence. */
  maxLen: number;
  /** How a multi or sequence field's ids become one vector (attention: sequences only, against their vocabulary field). */
  pooling: 'mean' | 'sum' | 'attention';
  /** A sequence's vocabulary field: its ids index that field's embedding table. */
  vocabulary?: string;
}

export interface EncodedColumns {
  rows: number;
  /** Per embedding field: int32 ids, rows * maxLen (row-major, 0-padded for multi fields). */
  ids: Record<string, Int32Array>;
  /** Per numeric field: the normalised float32 value. */
  numeric: Record<string, Float32Array>;
  label: Uint8Array;
  /** Scenario index 0..S-1 (position in PreparedDataset.scenarios.values). */
  scenario: Int32Array;
  /** Carried columns that are never features (e.g. the synthetic true_prob). */
  extra: Record<string, Float64Array | Int32Array | string[]>;
  /** False when the input had no label column (prediction time): `label` is then all zeros. */
  hasLabel?: boolean;
}

export type ColumnKey = `ids:${string}` | `num:${string}` | 'label' | 'scenario' | `extra:${string}`;
export type ColumnData = Int32Array | Float32Array | Uint8Array | Float64Array;
export type ColumnDtype = 'int32' | 'float32' | 'uint8' | 'float64';
export interface ColumnSpec {
  key: ColumnKey;
  dtype: ColumnDtype;
  /** Elements per row. */
  width: number;
}

/** Receives a split's encoded columns chunk by chunk: `data` goes at element `elementOffset` of column `key`. */
export interface ColumnSink {
  write(key: ColumnKey, elementOffset: number, data: ColumnData): void;
}

/** The columns an encoder with these fields and extra columns writes, in a fixed order. */
export function columnLayout(fields: readonly FieldInfo[], extraColumns: readonly string[]): ColumnSpec[] {
  return [
    { key: 'label', dtype: 'uint8', width: 1 },
    { key: 'scenario', dtype: 'int32', width: 1 },
    ...fields.map((f): ColumnSpec => (f.kind === 'numeric'
      ? { key: `num:${f.name}`, dtype: 'float32', width: 1 }
      : { key: `ids:${f.name}`, dtype: 'int32', width: f.maxLen })),
    ...extraColumns.map((c): ColumnSpec => ({ key: `extra:${c}`, dtype: 'float64', width: 1 })),
  ];
}

/** Zero-filled columns for n rows in this layout. */
export function emptyColumns(fields: readonly FieldInfo[], extraColumns: readonly string[], n: number): EncodedColumns {
  const ids: Record<string, Int32Array> = {};
  const numeric: Record<string, Float32Array> = {};
  for (const f of fields) {
    if (f.kind === 'numeric') numeric[f.name] = new Float32Array(n);
    else ids[f.name] = new Int32Array(n * f.maxLen);
  }
  const extra: Record<string, Float64Array> = {};
  for (const c of extraColumns) extra[c] = new Float64Array(n);
  return { rows: n, ids, numeric, label: new Uint8Array(n), scenario: new Int32Array(n), extra, hasLabel: true };
}

/** The array behind a column key. */
export function columnOf(c: EncodedColumns, key: ColumnKey): ColumnData {
  if (key === 'label') return c.label;
  if (key === 'scenario') return c.scenario;
  const colon = key.indexOf(':');
  const name = key.slice(colon + 1);
  const kind = key.slice(0, colon);
  return (kind === 'ids' ? c.ids[name] : kind === 'num' ? c.numeric[name] : c.extra[name]) as ColumnData;
}

/** Fills preallocated in-memory columns. */
export class MemorySink implements ColumnSink {
  readonly columns: EncodedColumns;
  constructor(fields: readonly FieldInfo[], extraColumns: readonly string[], rows: number) {
    this.columns = emptyColumns(fields, extraColumns, rows);
  }
  write(key: ColumnKey, elementOffset: number, data: ColumnData): void {
    columnOf(this.columns, key).set(data as never, elementOffset);
  }
}
