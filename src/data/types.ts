// The data room's public shapes (docs/architecture.md, "data").

export interface FieldInfo {
  name: string;
  kind: 'categorical' | 'multi' | 'numeric';
  scope: 'shared' | 'specific';
  /** Rows of the embedding table including pad (0) and OOV (1); 0 for numeric fields. */
  vocabSize: number;
  /** 0 for numeric fields. */
  embeddingDim: number;
  /** 1 unless multi. */
  maxLen: number;
  pooling: 'mean' | 'sum';
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
