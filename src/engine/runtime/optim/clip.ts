// Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_: one L2 norm over every gradient in scope,
// and when it exceeds maxNorm every gradient is scaled by maxNorm / (norm + 1e-6). With scope 'all' the
// embedding part is the batch's deduplicated row gradients (duplicate ids summed first), which is what the
// sparse optimizer then applies; 'dense' leaves embedding gradients unclipped.
import type { SparseRowGrad } from '../embedding-store.js';

export type ClipScope = 'all' | 'dense';

/** Clips in place and returns the norm before clipping. */
export function clipGlobalNorm(dense: Float32Array, sparse: readonly SparseRowGrad[], maxNorm: number, scope: ClipScope): number {
  let sq = sumSquares(dense, dense.length);
  if (scope === 'all') for (const g of sparse) sq += sumSquares(g.grad, g.count * g.table.dim);
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    scale(dense, dense.length, coef);
    if (scope === 'all') for (const g of sparse) scale(g.grad, g.count * g.table.dim, coef);
  }
  return norm;
}

function sumSquares(x: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * x[i];
  return s;
}

function scale(x: Float32Array, n: number, c: number): void {
  for (let i = 0; i < n; i++) x[i] *= c;
}
