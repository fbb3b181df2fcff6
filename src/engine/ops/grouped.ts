// Grouped routing: a batch sorted by scenario, rows offsets[s]..offsets[s+1] belonging to scenario s, is
// multiplied group by group with that scenario's weights (S static, so the graph unrolls S Slice → Gemm
// pieces and one Concat). This replaces gathering a [B, in, out] weight copy per sample. The sort itself
// (argsort, invertPermutation, permuteRows) happens inside the graph, so callers still feed rows in any order.
// stopGradient also lives here: the identity with no gradient.
import type { Tensor } from '../tensor.js';
import { shapeError } from '../trace.js';
import { type EmitContext, type OpDef, apply, defineOp } from './op.js';

export interface GroupedAttrs {
  transB: boolean;
  [k: string]: boolean;
}

/** Per-scenario row range [start, end) of the sorted batch, as int64 [1] tensors for Slice. */
function groupRange(c: EmitContext, offsets: Tensor, s: number): [string, string] {
  const offs = c.node('Cast', [c.name(offsets)], { to: 7 })[0];
  const at = (i: number) => c.node('Slice', [offs, c.ints([i]), c.ints([i + 1]), c.ints([0])])[0];
  return [at(s), at(s + 1)];
}

function rowsOf(c: EmitContext, x: Tensor, offsets: Tensor, s: number): string {
  const [start, end] = groupRange(c, offsets, s);
  return c.node('Slice', [c.name(x), start, end, c.ints([0])])[0];
}

/** w[s] of a stacked [S, ..] weight (a scalar-index Gather drops the leading dim). */
function member(c: EmitContext, w: Tensor, s: number): string {
  return c.node('Gather', [c.name(w), c.scalar(s, 'int32')], { axis: 0 })[0];
}

/** The batch size of a [B] tensor as a shape, as an int32 count, and the int32 row indices 0..B-1. */
function rowRange(c: EmitContext, name: string): { shape: string; count: string; rows: string } {
  const shape = c.node('Shape', [name])[0];
  const count = c.node('Cast', [c.node('Gather', [shape, c.scalar(0, 'int32')], { axis: 0 })[0]], { to: 6 })[0];
  const rows = c.node('Range', [c.scalar(0, 'int32'), count, c.scalar(1, 'int32')])[0];
  return { shape, count, rows };
}

const scenarios = (offsets: Tensor) => (offsets.shape[0] as number) - 1;

export const groupedOps = {
  // y[rows of s] = x[rows of s] @ op(w[s]); transB: w is [S, out, in].
  groupedMatmul: defineOp<GroupedAttrs>({
    infer: (inputs, { transB }) => {
      const [x, w, offsets] = inputs;
      const [inDim, outDim] = transB ? [w.shape[2], w.shape[1]] : [w.shape[1], w.shape[2]];
      const ok = x.rank === 2 && x.shape[0] === 'B' && x.dtype === 'float32' && w.rank === 3 && w.dtype === 'float32'
        && offsets.rank === 1 && offsets.dtype === 'int32' && offsets.shape[0] === (w.shape[0] as number) + 1 && x.shape[1] === inDim;
      if (!ok) throw shapeError('groupedMatmul', inputs, 'x float32 [B, in], w [S, in, out] and int32 offsets [S + 1]');
      return { shape: ['B', outDim], dtype: 'float32' };
    },
    emit: (c, n, { transB }) => {
      const [x, w, offsets] = n.inputs;
      const S = scenarios(offsets);
      const gemm = (rows: string, s: number) => c.node('Gemm', [rows, member(c, w, s)], { transB: +transB })[0];
      if (S === 1) return gemm(c.name(x), 0);
      return c.node('Concat', [...Array(S).keys()].map((s) => gemm(rowsOf(c, x, offsets, s), s)), { axis: 0 })[0];
    },
    vjp: (g, [x, w, offsets], _, { transB }) => [
      groupedMatmulOp(g, w, offsets, !transB),
      transB ? groupedOuter(g, x, offsets) : groupedOuter(x, g, offsets),
      null,
    ],
  }),
  // out[s] = a[rows of s]ᵀ @ b[rows of s]: [S, p, q], zeros for a scenario without rows.
  groupedOuter: defineOp({
    infer: (inputs) => {
      const [a, b, offsets] = inputs;
      const ok = [a, b].every((t) => t.rank === 2 && t.shape[0] === 'B' && t.dtype === 'float32') && offsets.rank === 1 && offsets.dtype === 'int32';
      if (!ok) throw shapeError('groupedOuter', inputs, 'a float32 [B, p], b float32 [B, q] and int32 offsets [S + 1]');
      return { shape: [scenarios(offsets), a.shape[1], b.shape[1]], dtype: 'float32' };
    },
    emit: (c, n) => {
      const [a, b, offsets] = n.inputs;
      const S = scenarios(offsets);
      // An empty group is a Gemm over zero rows (K = 0), which onnxruntime fills with zeros (tested).
      const piece = (s: number) => {
        const as = S === 1 ? c.name(a) : rowsOf(c, a, offsets, s);
        const bs = S === 1 ? c.name(b) : rowsOf(c, b, offsets, s);
        return c.node('Unsqueeze', [c.node('Gemm', [as, bs], { transA: 1 })[0], c.ints([0])])[0];
      };
      const pieces = [...Array(S).keys()].map(piece);
      return S === 1 ? pieces[0] : c.node('Concat', pieces, { axis: 0 })[0];
    },
    vjp: (g, [a, b, offsets]) => [groupedMatmulOp(b, g, offsets, true), groupedMatmulOp(a, g, offsets, false), null],
  }),
  // Stable ascending order of int32 keys [B]: TopK (smallest first) on key·B + row index, which are distinct.
  argsort: defineOp({
    infer: (inputs) => {
      const [key] = inputs;
      if (key.rank !== 1 || key.shape[0] !== 'B' || key.dtype !== 'int32') throw shapeError('argsort', inputs, 'int32 keys [B]');
      return { shape: ['B'], dtype: 'int32' };
    },
    emit: (c, n) => {
      const key = c.name(n.inputs[0]);
      const { shape, count, rows } = rowRange(c, key);
      const asDouble = (t: string) => c.node('Cast', [t], { to: 11 })[0];
      const unique = c.node('Add', [c.node('Mul', [asDouble(key), asDouble(count)])[0], asDouble(rows)])[0];
      const [, indices] = c.node('TopK', [unique, shape], { axis: 0, largest: 0, sorted: 1 }, 2);
      return c.node('Cast', [indices], { to: 6 })[0];
    },
    vjp: () => [null],
  }),
  // inverse[perm[i]] = i.
  invertPermutation: defineOp({
    infer: (inputs) => {
      const [perm] = inputs;
      if (perm.rank !== 1 || perm.shape[0] !== 'B' || perm.dtype !== 'int32') throw shapeError('invertPermutation', inputs, 'an int32 permutation [B]');
      return { shape: ['B'], dtype: 'int32' };
    },
    emit: (c, n) => {
      const perm = c.name(n.inputs[0]);
      const { rows } = rowRange(c, perm);
      return c.node('ScatterElements', [rows, perm, rows], { axis: 0 })[0];
    },
    vjp: () => [null],
  }),
  // x[perm]: the gradient is a gather by the inverse permutation, not a scatter-add.
  permuteRows: defineOp({
    infer: (inputs) => {
      const [x, perm, inverse] = inputs;
      const ok = x.rank >= 1 && x.shape[0] === 'B' && [perm, inverse].every((p) => p.rank === 1 && p.shape[0] === 'B' && p.dtype === 'int32');
      if (!ok) throw shapeError('permuteRows', inputs, 'x [B, ..] and int32 permutation and inverse [B]');
      return { shape: [...x.shape], dtype: x.dtype };
    },
    emit: (c, n) => c.node('Gather', [c.name(n.inputs[0]), c.name(n.inputs[1])], { axis: 0 })[0],
    vjp: (g, [, perm, inverse]) => [permuteRows(g, inverse, perm), null, null],
  }),
  stopGradient: defineOp({
    infer: ([x]) => ({ shape: [...x.shape], dtype: x.dtype }),
    emit: (c, n) => c.node('Identity', [c.name(n.inputs[0])])[0],
    vjp: () => [null],
  }),
} satisfies Record<string, OpDef<never>>;

function groupedMatmulOp(x: Tensor, w: Tensor, offsets: Tensor, transB: boolean): Tensor {
  return apply('groupedMatmul', groupedOps.groupedMatmul, [x, w, offsets], { transB });
}

/**
 * x [B, in] @ w[s] [in, out] for the rows of each scenario s of a batch sorted by scenario: rows
 * offsets[s]..offsets[s+1] (int32 [S + 1], offsets[0] = 0, offsets[S] = B). A scenario may have no rows.
 */
export function groupedMatmul(x: Tensor, w: Tensor, offsets: Tensor): Tensor {
  return groupedMatmulOp(x, w, offsets, false);
}

/** Σ over the rows of scenario s of a_rowᵀ b_row: [S, p, q] (dL/dW of groupedMatmul). */
export function groupedOuter(a: Tensor, b: Tensor, offsets: Tensor): Tensor {
  return apply('groupedOuter', groupedOps.groupedOuter, [a, b, offsets], {});
}

/** The stable ascending order of int32 keys [B]: key[perm[0]] <= key[perm[1]] <= ... (no gradient). */
export function argsort(key: Tensor): Tensor {
  return apply('argsort', groupedOps.argsort, [key], {});
}

export function invertPermutation(perm: Tensor): Tensor {
  return apply('invertPermutation', groupedOps.invertPermutation, [perm], {});
}

/** x[perm] along the batch axis; `inverse` = invertPermutation(perm) makes the backward pass a gather too. */
export function permuteRows(x: Tensor, perm: Tensor, inverse: Tensor): Tensor {
  return apply('permuteRows', groupedOps.permuteRows, [x, perm, inverse], {});
}

/** x in the forward pass; no gradient flows back through it. */
export function stopGradient(x: Tensor): Tensor {
  return apply('stopGradient', groupedOps.stopGradient, [x], {});
}
