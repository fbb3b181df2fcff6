// Mini-batches in the layout an engine wants: one Int32Array of ids per embedding field ([B * maxLen]), all
// numeric fields as ONE row-major Float32Array [B, nNumeric] in field order, labels (uint8 and float32) and the
// scenario index. In-memory iteration shuffles with a seeded permutation per epoch; streaming iteration reads a
// store chunk by chunk through a shuffle buffer so that memory stays bounded whatever the dataset size.
import { OptmsmError } from '../errors.js';
import { readRows, type StoredDataset } from './store.js';
import type { SplitName } from './schema.js';
import type { EncodedColumns, FieldInfo } from './columns.js';

export interface Batch {
  size: number;
  /** Row indices of this batch in its source (the split for batchIterator, the stored split for streamBatches). */
  indices: Int32Array;
  /** Ids per embedding field, in `idFields` order; length size * maxLen. */
  ids: Int32Array[];
  idFields: string[];
  idsByName: Record<string, Int32Array>;
  /** Numeric fields, row-major [size, numericFields.length]. */
  numeric: Float32Array;
  numericFields: string[];
  label: Uint8Array;
  /** The label as float32 (what a BCE input wants). */
  labelFloat: Float32Array;
  scenario: Int32Array;
  extra: Record<string, Float64Array | Int32Array>;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle seed; the permutation of epoch e depends on (seed, e) only. */
  seed?: number;
  epoch?: number;
  /** Default true. Without shuffling, ids/labels/scenario are views of the source columns (no copy). */
  shuffle?: boolean;
  /** Drop a final partial batch (default false: the last batch may be smaller). */
  dropLast?: boolean;
  /** Field order for ids and numeric; default the columns' own order (the encoder's field order). */
  fields?: readonly FieldInfo[];
}

/** A small, fast, seedable PRNG (mulberry32) for permutations. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The permutation of 0..n-1 for (seed, epoch): Fisher-Yates over mulberry32. */
export function permutation(n: number, seed: number, epoch: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rand = mulberry32((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(epoch + 1, 0xc2b2ae35)) >>> 0);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function fieldOrder(columns: EncodedColumns, fields?: readonly FieldInfo[]): { idFields: string[]; numericFields: string[] } {
  if (!fields) return { idFields: Object.keys(columns.ids), numericFields: Object.keys(columns.numeric) };
  return {
    idFields: fields.filter((f) => f.kind !== 'numeric').map((f) => f.name),
    numericFields: fields.filter((f) => f.kind === 'numeric').map((f) => f.name),
  };
}

/** All numeric fields as one row-major Float32Array [rows, names.length] (names default: the columns' order). */
export function numericMatrix(columns: EncodedColumns, names: readonly string[] = Object.keys(columns.numeric)): Float32Array {
  const n = columns.rows;
  const w = names.length;
  const out = new Float32Array(n * w);
  names.forEach((name, j) => {
    const col = columns.numeric[name];
    if (!col) throw new OptmsmError('E_DATA_ENCODER', `no numeric field '${name}' in the encoded columns`, { location: name });
    for (let r = 0; r < n; r++) out[r * w + j] = col[r]!;
  });
  return out;
}

function widthOf(columns: EncodedColumns, name: string): number {
  return columns.rows === 0 ? 1 : columns.ids[name]!.length / columns.rows;
}

/** One batch of rows `idx` (or the contiguous range [start, end) as views when idx is null). */
function makeBatch(
  columns: EncodedColumns, matrix: Float32Array, order: { idFields: string[]; numericFields: string[] },
  idx: Int32Array | null, start: number, end: number, globalOffset: number,
): Batch {
  const size = idx ? idx.length : end - start;
  const nw = order.numericFields.length;
  const idsByName: Record<string, Int32Array> = {};
  let numeric: Float32Array;
  let label: Uint8Array;
  let scenario: Int32Array;
  const extra: Record<string, Float64Array | Int32Array> = {};
  const indices = new Int32Array(size);
  if (idx === null) {
    for (const name of order.idFields) {
      const w = widthOf(columns, name);
      idsByName[name] = columns.ids[name]!.subarray(start * w, end * w);
    }
    numeric = matrix.subarray(start * nw, end * nw);
    label = columns.label.subarray(start, end);
    scenario = columns.scenario.subarray(start, end);
    for (const [k, v] of Object.entries(columns.extra)) if (!Array.isArray(v)) extra[k] = (v as Float64Array).subarray(start, end);
    for (let i = 0; i < size; i++) indices[i] = globalOffset + start + i;
  } else {
    for (const name of order.idFields) {
      const w = widthOf(columns, name);
      const src = columns.ids[name]!;
      const dst = new Int32Array(size * w);
      if (w === 1) for (let i = 0; i < size; i++) dst[i] = src[idx[i]!]!;
      else for (let i = 0; i < size; i++) dst.set(src.subarray(idx[i]! * w, idx[i]! * w + w), i * w);
      idsByName[name] = dst;
    }
    numeric = new Float32Array(size * nw);
    for (let i = 0; i < size; i++) for (let j = 0; j < nw; j++) numeric[i * nw + j] = matrix[idx[i]! * nw + j]!;
    label = new Uint8Array(size);
    scenario = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      label[i] = columns.label[idx[i]!]!;
      scenario[i] = columns.scenario[idx[i]!]!;
      indices[i] = globalOffset + idx[i]!;
    }
    for (const [k, v] of Object.entries(columns.extra)) {
      if (Array.isArray(v)) continue;
      const src = v as Float64Array | Int32Array;
      const dst = src instanceof Float64Array ? new Float64Array(size) : new Int32Array(size);
      for (let i = 0; i < size; i++) dst[i] = src[idx[i]!]!;
      extra[k] = dst;
    }
  }
  const labelFloat = new Float32Array(size);
  for (let i = 0; i < size; i++) labelFloat[i] = label[i]!;
  return {
    size, indices, ids: order.idFields.map((n) => idsByName[n]!), idFields: order.idFields, idsByName,
    numeric, numericFields: order.numericFields, label, labelFloat, scenario, extra,
  };
}

/** Batches over in-memory columns: seeded shuffle per epoch, fixed size, final partial batch unless dropLast. */
export function* batchIterator(columns: EncodedColumns, options: BatchOptions): Generator<Batch> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new OptmsmError('E_CONFIG_INVALID', `batch size must be a positive integer, got ${batchSize}`, { location: 'batchSize' });
  }
  const order = fieldOrder(columns, options.fields);
  const matrix = numericMatrix(columns, order.numericFields);
  const n = columns.rows;
  const perm = options.shuffle === false ? null : permutation(n, options.seed ?? 0, options.epoch ?? 0);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    if (end - start < batchSize && options.dropLast) return;
    yield makeBatch(columns, matrix, order, perm ? perm.subarray(start, end) : null, start, end, 0);
  }
}

/** Number of batches batchIterator/streamBatches yield for `rows` rows. */
export function batchCount(rows: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(rows / batchSize) : Math.ceil(rows / batchSize);
}

function concatColumns(parts: EncodedColumns[]): EncodedColumns {
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const first = parts[0]!;
  const cat = <T extends Int32Array | Float32Array | Uint8Array | Float64Array>(arrays: T[], ctor: new (n: number) => T): T => {
    const out = new ctor(arrays.reduce((s, a) => s + a.length, 0));
    let o = 0;
    for (const a of arrays) {
      out.set(a as never, o);
      o += a.length;
    }
    return out;
  };
  const ids: Record<string, Int32Array> = {};
  for (const k of Object.keys(first.ids)) ids[k] = cat(parts.map((p) => p.ids[k]!), Int32Array);
  const numeric: Record<string, Float32Array> = {};
  for (const k of Object.keys(first.numeric)) numeric[k] = cat(parts.map((p) => p.numeric[k]!), Float32Array);
  const extra: Record<string, Float64Array | Int32Array | string[]> = {};
  for (const [k, v] of Object.entries(first.extra)) {
    extra[k] = v instanceof Float64Array ? cat(parts.map((p) => p.extra[k] as Float64Array), Float64Array)
      : v instanceof Int32Array ? cat(parts.map((p) => p.extra[k] as Int32Array), Int32Array)
      : parts.flatMap((p) => p.extra[k] as string[]);
  }
  return {
    rows, ids, numeric, extra,
    label: cat(parts.map((p) => p.label), Uint8Array), scenario: cat(parts.map((p) => p.scenario), Int32Array),
  };
}

export interface StreamOptions extends BatchOptions {
  /** Rows read per chunk (default 65,536). */
  chunkRows?: number;
  /** Chunks held in the shuffle buffer at once (default 4): memory ~ chunkRows * bufferChunks rows. */
  bufferChunks?: number;
  /** Called with the number of rows held each time the buffer is refilled (for logs and memory checks). */
  onBuffer?: (rows: number) => void;
}

/**
 * Batches over a split that stays on disk: chunks are visited in a seeded order, `bufferChunks` of them are
 * loaded and shuffled together, and rows left over (fewer than a batch) carry into the next buffer, so every
 * batch but the last is full and memory stays bounded by the buffer.
 */
export function* streamBatches(store: StoredDataset, split: SplitName, options: StreamOptions): Generator<Batch> {
  const { batchSize } = options;
  const chunkRows = options.chunkRows ?? 65536;
  const bufferChunks = options.bufferChunks ?? 4;
  const total = store.meta.rows[split];
  const nChunks = Math.ceil(total / chunkRows);
  const shuffle = options.shuffle !== false;
  const chunkOrder = shuffle ? permutation(nChunks, options.seed ?? 0, options.epoch ?? 0) : Int32Array.from({ length: nChunks }, (_, i) => i);
  let carry: { cols: EncodedColumns; global: Int32Array } | null = null;
  for (let c = 0; c < nChunks; c += bufferChunks) {
    const parts: EncodedColumns[] = carry ? [carry.cols] : [];
    const globals: Int32Array[] = carry ? [carry.global] : [];
    for (const k of chunkOrder.subarray(c, c + bufferChunks)) {
      const start = k * chunkRows;
      const count = Math.min(chunkRows, total - start);
      parts.push(readRows(store, split, start, count));
      globals.push(Int32Array.from({ length: count }, (_, i) => start + i));
    }
    const cols = concatColumns(parts);
    options.onBuffer?.(cols.rows);
    const global = new Int32Array(cols.rows);
    let o = 0;
    for (const g of globals) {
      global.set(g, o);
      o += g.length;
    }
    const order = fieldOrder(cols, options.fields);
    const matrix = numericMatrix(cols, order.numericFields);
    const perm = shuffle ? permutation(cols.rows, (options.seed ?? 0) + c + 1, options.epoch ?? 0) : Int32Array.from({ length: cols.rows }, (_, i) => i);
    const last = c + bufferChunks >= nChunks;
    let start = 0;
    for (; start + batchSize <= cols.rows; start += batchSize) {
      yield withGlobal(makeBatch(cols, matrix, order, perm.subarray(start, start + batchSize), 0, 0, 0), global);
    }
    const rest = perm.subarray(start);
    if (last) {
      if (rest.length > 0 && !options.dropLast) yield withGlobal(makeBatch(cols, matrix, order, rest, 0, 0, 0), global);
      carry = null;
    } else {
      carry = { cols: gatherColumns(cols, rest), global: Int32Array.from(rest, (i) => global[i]!) };
    }
  }
}

function withGlobal(b: Batch, global: Int32Array): Batch {
  for (let i = 0; i < b.size; i++) b.indices[i] = global[b.indices[i]!]!;
  return b;
}

/** Rows `idx` of the columns, copied. */
export function gatherColumns(source: EncodedColumns, idx: Int32Array): EncodedColumns {
  const n = idx.length;
  const ids: Record<string, Int32Array> = {};
  for (const [k, v] of Object.entries(source.ids)) {
    const w = widthOf(source, k);
    const dst = new Int32Array(n * w);
    for (let i = 0; i < n; i++) dst.set(v.subarray(idx[i]! * w, idx[i]! * w + w), i * w);
    ids[k] = dst;
  }
  const numeric: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(source.numeric)) numeric[k] = Float32Array.from(idx, (i) => v[i]!);
  const extra: Record<string, Float64Array | Int32Array | string[]> = {};
  for (const [k, v] of Object.entries(source.extra)) {
    extra[k] = v instanceof Float64Array ? Float64Array.from(idx, (i) => v[i]!)
      : v instanceof Int32Array ? Int32Array.from(idx, (i) => v[i]!) : Array.from(idx, (i) => (v as string[])[i]!);
  }
  return {
    rows: n, ids, numeric, extra,
    label: Uint8Array.from(idx, (i) => source.label[i]!), scenario: Int32Array.from(idx, (i) => source.scenario[i]!),
  };
}
