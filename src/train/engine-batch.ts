// Glue between the data room's encoded columns and the engine's batch: copies the rows of one batch into
// preallocated typed arrays named as buildCtrGraph declares its inputs (E fields, `numeric`, `scenario`, `label`).
import type { EncodedColumns, FieldInfo } from '../data/index.js';
import type { EmbeddingField, EngineBatch } from '../engine/index.js';

export function embeddingFields(fields: readonly FieldInfo[]): EmbeddingField[] {
  return fields
    .filter((f) => f.kind !== 'numeric')
    .map((f) => ({ name: f.name, vocabSize: f.vocabSize, dim: f.embeddingDim, maxLen: f.maxLen, pooling: f.pooling }));
}

export class BatchAssembler {
  private readonly embedded: FieldInfo[];
  private readonly numericFields: FieldInfo[];
  private readonly capacity: number;
  private readonly ids: Int32Array[];
  private readonly numeric: Float32Array;
  private readonly scenario: Int32Array;
  private readonly label: Float32Array;

  constructor(fields: readonly FieldInfo[], capacity: number) {
    this.embedded = fields.filter((f) => f.kind !== 'numeric');
    this.numericFields = fields.filter((f) => f.kind === 'numeric');
    this.capacity = capacity;
    this.ids = this.embedded.map((f) => new Int32Array(capacity * f.maxLen));
    this.numeric = new Float32Array(capacity * this.numericFields.length);
    this.scenario = new Int32Array(capacity);
    this.label = new Float32Array(capacity);
  }

  /** The rows `order[start..end)` of `columns` (or rows start..end when no order is given) as an EngineBatch. */
  assemble(columns: EncodedColumns, start: number, end: number, order?: Uint32Array): EngineBatch {
    const size = end - start;
    if (size > this.capacity) throw new RangeError(`batch of ${size} rows exceeds capacity ${this.capacity}`);
    const rowAt = order ? (i: number) => order[start + i] : (i: number) => start + i;
    this.embedded.forEach((field, f) => {
      const source = columns.ids[field.name];
      const target = this.ids[f];
      const len = field.maxLen;
      if (len === 1) for (let i = 0; i < size; i++) target[i] = source[rowAt(i)];
      else for (let i = 0; i < size; i++) target.set(source.subarray(rowAt(i) * len, rowAt(i) * len + len), i * len);
    });
    const nNumeric = this.numericFields.length;
    this.numericFields.forEach((field, k) => {
      const source = columns.numeric[field.name];
      for (let i = 0; i < size; i++) this.numeric[i * nNumeric + k] = source[rowAt(i)];
    });
    for (let i = 0; i < size; i++) {
      const row = rowAt(i);
      this.scenario[i] = columns.scenario[row];
      this.label[i] = columns.label[row];
    }
    const dense: EngineBatch['dense'] = {
      scenario: { data: this.scenario.subarray(0, size), shape: [size] },
      label: { data: this.label.subarray(0, size), shape: [size] },
    };
    if (nNumeric > 0) dense.numeric = { data: this.numeric.subarray(0, size * nNumeric), shape: [size, nNumeric] };
    return { size, ids: this.embedded.map((f, k) => this.ids[k].subarray(0, size * f.maxLen)), dense };
  }
}
