// matmul (2-D and batched, with transpose flags so VJPs never emit Transpose for 2-D operands) and the
// linear layer. 2-D products are emitted as Gemm, which applies transA/transB for free. A product with a
// per-sample generated weight is rewritten so that the weight is never materialised (factoredGeneratedProduct).
import { InternalError } from '../../errors.js';
import { type Dim, type Tensor, broadcastShapes, hasBatch, sameShape } from '../tensor.js';
import { type OutInfo, currentTrace, shapeError } from '../trace.js';
import { add } from './elementwise.js';
import { type EmitContext, type OpDef, apply, defineOp } from './op.js';
import { flatten, reshape, squeeze, transpose, unsqueeze } from './shape.js';

export interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
  [k: string]: boolean;
}

const lastTwo = (s: readonly Dim[], t: boolean): [Dim, Dim] => (t ? [s[s.length - 1], s[s.length - 2]] : [s[s.length - 2], s[s.length - 1]]);

function matmulShape(inputs: Tensor[], { transA, transB }: MatmulAttrs): OutInfo {
  const [a, b] = inputs;
  const bad = (why: string) => shapeError('matmul', inputs, 'float32 [.., n, k] @ [.., k, m] with broadcasting leading dims', why);
  if (a.rank < 2 || b.rank < 2 || a.dtype !== 'float32' || b.dtype !== 'float32') throw bad('both operands need rank >= 2');
  const [n, k1] = lastTwo(a.shape, transA);
  const [k2, m] = lastTwo(b.shape, transB);
  if (k1 !== k2) throw bad(`inner dims ${k1} and ${k2} differ`);
  const lead = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (lead === null) throw bad('leading dims do not broadcast');
  return { shape: [...lead, n, m], dtype: 'float32' };
}

function swapLast(c: EmitContext, name: string, rank: number): string {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return c.node('Transpose', [name], { perm })[0];
}

function emitMatmul(c: EmitContext, a: Tensor, b: Tensor, { transA, transB }: MatmulAttrs, bias?: string): string {
  if (a.rank === 2 && b.rank === 2) {
    return c.node('Gemm', [c.name(a), c.name(b), ...(bias ? [bias] : [])], { transA: +transA, transB: +transB })[0];
  }
  const an = transA ? swapLast(c, c.name(a), a.rank) : c.name(a);
  const bn = transB ? swapLast(c, c.name(b), b.rank) : c.name(b);
  const y = c.node('MatMul', [an, bn])[0];
  return bias ? c.node('Add', [y, bias])[0] : y;
}

export const matmulOps = {
  matmul: defineOp<MatmulAttrs>({
    infer: matmulShape,
    emit: (c, n, attrs) => emitMatmul(c, n.inputs[0], n.inputs[1], attrs),
    // C = op(A) op(B): dA, dB written as products with flags; the leading-dim broadcast is summed centrally,
    // except for a 2-D B shared by a batched A, whose gradient is one flattened product.
    vjp: (g, [a, b], _, { transA: tA, transB: tB }) => [
      tA ? mm(b, g, tB, true) : mm(g, b, false, !tB),
      b.rank === 2 && !hasBatch(b.shape) && a.rank > 2 && !tA
        ? tB ? mm(flatten(g), flatten(a), true, false) : mm(flatten(a), flatten(g), true, false)
        : tB ? mm(g, a, true, tA) : mm(a, g, !tA, false),
    ],
  }),
  // A · B + C as one Gemm, made by fuse.ts from a gradient sum after differentiation (never differentiated itself).
  matmulAdd: defineOp<MatmulAttrs>({
    infer: (inputs, attrs) => {
      const product = matmulShape(inputs.slice(0, 2), attrs);
      if (!sameShape(product.shape, inputs[2].shape)) throw shapeError('matmulAdd', inputs, 'C of the product\'s shape');
      return product;
    },
    emit: (c, n, attrs) => emitMatmul(c, n.inputs[0], n.inputs[1], attrs, c.name(n.inputs[2])),
    vjp: () => {
      throw new InternalError('matmulAdd is formed after differentiation and has no VJP');
    },
  }),
  linear: defineOp({
    infer: (inputs) => {
      const [x, w, b] = inputs;
      const inDim = x.shape[x.rank - 1];
      if (x.rank < 2 || w.rank !== 2 || w.shape[0] !== inDim || x.dtype !== 'float32') {
        throw shapeError('linearOp', inputs, 'x [.., in] (rank >= 2) float32 and w [in, out]');
      }
      if (b && (b.rank !== 1 || b.shape[0] !== w.shape[1])) throw shapeError('linearOp', inputs, 'bias [out]');
      return { shape: [...x.shape.slice(0, -1), w.shape[1]], dtype: 'float32' };
    },
    emit: (c, n) => {
      const [x, w, b] = n.inputs;
      if (x.rank === 2) return emitMatmul(c, x, w, { transA: false, transB: false }, b && c.name(b));
      const y = c.node('MatMul', [c.name(x), c.name(w)])[0];
      return b ? c.node('Add', [y, c.name(b)])[0] : y;
    },
    vjp: (g, [x, w, b]) => [mm(g, w, false, true), mm(flatten(x), flatten(g), true, false), ...(b ? [g] : [])],
  }),
} satisfies Record<string, OpDef<never>>;

function mm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  return apply('matmul', matmulOps.matmul, [a, b], { transA, transB });
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  return factoredGeneratedProduct(a, b) ?? mm(a, b, false, false);
}

/**
 * x [B, 1, K] @ W(c), where W(c) = reshape(c W + b, [B, K, M]) is a weight generated per sample from c [B, H]
 * (a hypernetwork layer), computed as
 *   Σ_h c_h (x W_h) + x b_KM,   W_h = W[h] viewed as [K, M], b_KM = b viewed as [K, M]
 * which is the same sum in another order. The per-sample weights [B, K, M] are never formed: the largest
 * tensor is x W_h for all h, [B, H, M], in the forward pass and in every gradient. The FLOPs are the same, but
 * the unfactored form is memory-bound on W(c) four times over (the product, its gradient, the generator's
 * weight gradient and its bias gradient, a ReduceSum over [B, K·M]), so the rewrite applies when H < K.
 * Null when the pattern or the size condition does not hold; the generated weight's other uses, if any, keep it.
 */
function factoredGeneratedProduct(x: Tensor, generated: Tensor): Tensor | null {
  const trace = currentTrace();
  const view = trace.node(generated);
  if (view.op !== 'reshape' || x.rank !== 3 || generated.rank !== 3 || x.shape[0] !== 'B' || x.shape[1] !== 1 || generated.shape[0] !== 'B') return null;
  const generator = trace.node(view.inputs[0]);
  if (generator.op !== 'linear') return null;
  const [c, w, b] = generator.inputs;
  if (c.rank !== 2 || c.shape[0] !== 'B' || hasBatch(w.shape)) return null;
  const [H, K, M] = [c.shape[1], generated.shape[1], generated.shape[2]];
  if (typeof H !== 'number' || typeof K !== 'number' || typeof M !== 'number' || !(H < K)) return null;
  const rows = squeeze(x, 1); // [B, K]
  const byInput = reshape(transpose(reshape(w, [H, K, M]), [1, 0, 2]), [K, H * M]); // [K, H·M]: column block h is W_h
  const perH = reshape(linearOp(rows, byInput), ['B', H, M]); // x W_h for every h: [B, H, M]
  const y = mm(unsqueeze(c, 1), perH, false, false); // Σ_h c_h (x W_h): [B, 1, M]
  return b ? add(y, unsqueeze(linearOp(rows, reshape(b, [K, M])), 1)) : y;
}

/** x [.., in] @ w [in, out] + b [out]; a Gemm when x is 2-D. */
export function linearOp(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  return apply('linear', matmulOps.linear, b ? [x, w, b] : [x, w], {});
}
