// Shape ops: reshape, slice (and pad, its VJP), concat, transpose, gather (and scatterAdd, its VJP).
// Gather is meant for small tensors such as per-scenario parameters [S, ..] gathered by scenario id.
import { type Dim, type Tensor, formatShape, hasBatch, normAxis, sameShape, staticSize } from '../tensor.js';
import { currentTrace, shapeError } from '../trace.js';
import { type OpDef, apply, defineOp } from './op.js';

const staticDim = (op: string, x: Tensor, axis: number): number => {
  const d = x.shape[axis];
  if (d === 'B') throw shapeError(op, [x], 'a static axis', `axis ${axis} is the batch dim`);
  return d;
};

export interface SliceAttrs {
  axis: number;
  start: number;
  end: number;
  [k: string]: number;
}
export interface PadAttrs {
  axis: number;
  before: number;
  after: number;
  [k: string]: number;
}

const withDim = (shape: readonly Dim[], axis: number, d: Dim): Dim[] => shape.map((s, i) => (i === axis ? d : s));

export const shapeOps = {
  reshape: defineOp<{ shape: readonly Dim[] }>({
    infer: ([x], { shape }) => ({ shape: [...shape], dtype: x.dtype }),
    emit: (c, n, { shape }) => c.node('Reshape', [c.name(n.inputs[0]), c.ints(shape.map((d) => (d === 'B' ? -1 : d)))])[0],
    vjp: (g, [x]) => [reshape(g, [...x.shape])],
  }),
  // [.., n] -> [N, n] for gradients of weights shared across leading dims (one Gemm instead of a batched
  // product and a reduction). A 'B' among the leading dims makes N 'B': N is then only ever contracted.
  flatten: defineOp({
    infer: ([x]) => ({ shape: [hasBatch(x.shape.slice(0, -1)) ? 'B' : staticSize(x.shape.slice(0, -1)), x.shape[x.rank - 1]], dtype: x.dtype }),
    emit: (c, n) => c.node('Reshape', [c.name(n.inputs[0]), c.ints([-1, n.inputs[0].shape[n.inputs[0].rank - 1] as number])])[0],
    vjp: (g, [x]) => [unflatten(g, x)],
  }),
  slice: defineOp<SliceAttrs>({
    infer: ([x], { axis, start, end }) => ({ shape: withDim(x.shape, axis, end - start), dtype: x.dtype }),
    emit: (c, n, { axis, start, end }) => c.node('Slice', [c.name(n.inputs[0]), c.ints([start]), c.ints([end]), c.ints([axis])])[0],
    vjp: (g, [x], _, { axis, start, end }) => [pad(g, axis, start, (x.shape[axis] as number) - end)],
  }),
  pad: defineOp<PadAttrs>({
    infer: ([x], { axis, before, after }) => ({ shape: withDim(x.shape, axis, (x.shape[axis] as number) + before + after), dtype: x.dtype }),
    emit: (c, n, { axis, before, after }) => {
      const r = n.inputs[0].rank;
      const pads = [...Array(2 * r).fill(0)];
      pads[axis] = before;
      pads[r + axis] = after;
      return c.node('Pad', [c.name(n.inputs[0]), c.ints(pads)])[0];
    },
    vjp: (g, [x], _, { axis, before }) => [slice(g, axis, before, before + (x.shape[axis] as number))],
  }),
  concat: defineOp<{ axis: number }>({
    infer: (xs, { axis }) => ({ shape: withDim(xs[0].shape, axis, xs.reduce((s, x) => s + (x.shape[axis] as number), 0)), dtype: xs[0].dtype }),
    emit: (c, n, { axis }) => c.node('Concat', n.inputs.map(c.name), { axis })[0],
    vjp: (g, xs, _, { axis }) => {
      let at = 0;
      return xs.map((x) => slice(g, axis, at, (at += x.shape[axis] as number)));
    },
  }),
  transpose: defineOp<{ perm: readonly number[] }>({
    infer: ([x], { perm }) => ({ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }),
    emit: (c, n, { perm }) => c.node('Transpose', [c.name(n.inputs[0])], { perm: [...perm] })[0],
    vjp: (g, _, __, { perm }) => [transpose(g, perm.map((_p, i) => perm.indexOf(i)))],
  }),
  gather: defineOp({
    infer: (inputs) => {
      const [x, idx] = inputs;
      const shape = [...idx.shape, ...x.shape.slice(1)];
      // A static row count n: the gradient is a one-hot product over n rows (scatterAdd).
      if (x.rank < 1 || x.shape[0] === 'B' || idx.dtype !== 'int32' || shape.filter((d) => d === 'B').length > 1) {
        throw shapeError('gather', inputs, "x [n, ..] with a static n and int32 indices, at most one 'B' in the result");
      }
      return { shape, dtype: x.dtype };
    },
    emit: (c, n) => c.node('Gather', n.inputs.map(c.name), { axis: 0 })[0],
    vjp: (g, [x, idx]) => [scatterAdd(g, idx, x), null],
  }),
  scatterAdd: defineOp({
    infer: ([, , like]) => ({ shape: [...like.shape], dtype: like.dtype }),
    // The sum of g's rows per index as onehot(idx)^T g, one Gemm. ONNX Runtime's ScatterND with reduction 'add'
    // races between its intra-op threads when indices repeat (every batch repeats the scenario ids): with 2
    // threads, 58 of 300 runs of a [4096, 64] -> [3, 64] scatter differed from the 1-thread sum, by up to 15x the
    // largest true value. The Gemm partitions its output, so each sum has one fixed order.
    emit: (c, n) => {
      const [g, idx, like] = n.inputs;
      const rows = like.shape[0] as number;
      const idx64 = c.node('Cast', [c.name(idx)], { to: 7 })[0];
      const column = c.node('Reshape', [idx64, c.ints([-1, 1])])[0];
      const hits = c.node('Equal', [column, c.ints(Array.from({ length: rows }, (_, r) => r))])[0];
      const oneHot = c.node('Cast', [hits], { to: 1 })[0];
      const flat = c.node('Flatten', [c.name(g)], { axis: idx.rank })[0];
      const sums = c.node('Gemm', [oneHot, flat], { transA: 1 })[0];
      return c.node('Reshape', [sums, c.shapeOf(like)])[0];
    },
    vjp: (g, [, idx]) => [gather(g, idx), null, null],
  }),
} satisfies Record<string, OpDef<never>>;

/** Merges the leading dims: [.., n] -> [N, n] (x itself when already 2-D). */
export function flatten(x: Tensor): Tensor {
  return x.rank === 2 ? x : apply('flatten', shapeOps.flatten, [x], {});
}

function unflatten(g: Tensor, like: Tensor): Tensor {
  return apply('reshape', shapeOps.reshape, [g], { shape: [...like.shape] });
}

/** Reshape; 'B' may appear once and stands for the batch dim, which must stay a separate dim. */
export function reshape(x: Tensor, shape: Dim[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const ok = shape.filter((d) => d === 'B').length <= 1 && hasBatch(shape) === hasBatch(x.shape) && staticSize(shape) === staticSize(x.shape);
  if (!ok || shape.some((d) => d !== 'B' && !(Number.isInteger(d) && d >= 0))) {
    throw shapeError('reshape', [x], 'a target shape of the same size', `target ${formatShape(shape)}`);
  }
  return apply('reshape', shapeOps.reshape, [x], { shape: [...shape] });
}

export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const a = normAxis(axis, x.rank);
  if (a < 0) throw shapeError('slice', [x], `an axis within rank ${x.rank}`, `axis ${axis}`);
  const d = staticDim('slice', x, a);
  const s = start < 0 ? start + d : start;
  const e = end < 0 ? end + d : Math.min(end, d);
  if (!(s >= 0 && s < e && e <= d)) throw shapeError('slice', [x], `0 <= start < end <= ${d}`, `start ${start}, end ${end}`);
  if (s === 0 && e === d) return x;
  return apply('slice', shapeOps.slice, [x], { axis: a, start: s, end: e });
}

function scatterAdd(g: Tensor, idx: Tensor, like: Tensor): Tensor {
  return apply('scatterAdd', shapeOps.scatterAdd, [g, idx, like], {});
}

export function pad(x: Tensor, axis: number, before: number, after: number): Tensor {
  if (before === 0 && after === 0) return x;
  return apply('pad', shapeOps.pad, [x], { axis, before, after });
}

export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw shapeError('concat', xs, 'at least one tensor');
  const a = normAxis(axis, xs[0].rank);
  const fits = xs.every((x) => x.rank === xs[0].rank && x.dtype === xs[0].dtype && x.shape.every((d, i) => i === a || d === xs[0].shape[i]));
  if (a < 0 || !fits || xs.some((x) => x.shape[a] === 'B')) throw shapeError('concat', xs, `equal dims except a static axis ${axis}`);
  const parts = mergeAdjacentSlices(xs, a);
  return parts.length === 1 ? parts[0] : apply('concat', shapeOps.concat, parts, { axis: a });
}

/** Adjacent slices of one tensor along the concat axis become one slice (fields sliced from E and joined again). */
function mergeAdjacentSlices(xs: Tensor[], axis: number): Tensor[] {
  const trace = currentTrace();
  const out: Tensor[] = [];
  let run: { first: Tensor; pieces: number; src: Tensor; start: number; end: number } | null = null;
  const flush = () => {
    if (run) out.push(run.pieces === 1 ? run.first : slice(run.src, axis, run.start, run.end));
    run = null;
  };
  const sliceOf = (x: Tensor) => {
    const n = trace.node(x);
    return n.op === 'slice' && n.attrs.axis === axis ? { src: n.inputs[0], start: n.attrs.start as number, end: n.attrs.end as number } : null;
  };
  for (const x of xs) {
    const s = sliceOf(x);
    if (s && run && run.src.id === s.src.id && run.end === s.start) {
      run.end = s.end;
      run.pieces++;
      continue;
    }
    flush();
    if (s) run = { first: x, pieces: 1, ...s };
    else out.push(x);
  }
  flush();
  return out;
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const sorted = [...perm].sort((p, q) => p - q);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) throw shapeError('transpose', [x], `a permutation of ${x.rank} axes`, `perm [${perm.join(', ')}]`);
  if (perm.every((p, i) => p === i)) return x;
  return apply('transpose', shapeOps.transpose, [x], { perm: [...perm] });
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.rank + 1);
  if (a < 0) throw shapeError('unsqueeze', [x], `an axis within rank ${x.rank + 1}`, `axis ${axis}`);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.rank);
  if (a < 0 || x.shape[a] !== 1) throw shapeError('squeeze', [x], 'an axis of size 1', `axis ${axis}`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}

/** Gathers along `axis` (other axes go through a transpose to the front and back). */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const a = normAxis(axis, x.rank);
  if (a < 0) throw shapeError('gather', [x, indices], `an axis within rank ${x.rank}`, `axis ${axis}`);
  if (a === 0) return apply('gather', shapeOps.gather, [x, indices], {});
  const front = [a, ...[...Array(x.rank).keys()].filter((i) => i !== a)];
  const g = apply('gather', shapeOps.gather, [transpose(x, front), indices], {});
  const k = indices.rank;
  // g is [idx.., x[:a].., x[a+1:]..]; move the index dims back to position a.
  const perm = [...[...Array(a).keys()].map((i) => k + i), ...[...Array(k).keys()], ...[...Array(x.rank - 1 - a).keys()].map((i) => k + a + i)];
  return transpose(g, perm);
}
