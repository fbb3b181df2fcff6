// The per-row loops of the gather and of the sparse optimizers, written once as plain JavaScript source so that the main
// thread and the helper thread (helper-thread.ts) run the very same code: a step gives bit-identical rows
// whichever thread updated them. Arithmetic follows torch.optim.SparseAdam / sparse Adagrad op by op in
// float32 (Math.fround after each operation).

/**
 * Updates the rows of slots order[start..end) (or start..end without an order): p [rows, dim] the table,
 * mv [rows, 2 * dim] both moments of each row side by side (one memory neighbourhood per row instead of two),
 * grad [slots, dim] the row gradients by slot.
 */
export type AdamRows = (
  p: Float32Array, mv: Float32Array, rows: Int32Array, order: Int32Array | null, grad: Float32Array, dim: number, start: number, end: number,
  oneMinusB1: number, oneMinusB2: number, eps: number, l2: number, negStep: number,
) => void;

export type CopyRows = (
  ids: Int32Array, size: number, data: Float32Array, dim: number, out: Float32Array, stride: number, offset: number,
) => number;

export type AdagradRows = (
  p: Float32Array, sum: Float32Array, rows: Int32Array, order: Int32Array | null, grad: Float32Array, dim: number, start: number, end: number,
  eps: number, l2: number, negLr: number,
) => void;

export const ROW_KERNELS_SOURCE = `
const fr = Math.fround;
// out[b * stride + offset ..][0, dim) = data[ids[b] * dim ..] for b < size. At 1M rows nearly every row is a
// cache and TLB miss; a copy loop keeps only a few rows in flight (its stores wait for the loads), so each chunk
// of rows is first touched by a loop of bare loads, which the CPU overlaps, and copied after. Returns the touched
// values' sum so that the touching loads are not optimised away.
function copyRows(ids, size, data, dim, out, stride, offset) {
  let touched = 0;
  const unrolled = (dim & 3) === 0;
  for (let c0 = 0; c0 < size; c0 += 16) {
    const c1 = Math.min(size, c0 + 16);
    for (let b = c0; b < c1; b++) touched += data[ids[b] * dim];
    for (let b = c0; b < c1; b++) {
      let src = ids[b] * dim;
      let dst = b * stride + offset;
      const end = src + dim;
      if (unrolled) {
        for (; src < end; src += 4, dst += 4) {
          out[dst] = data[src];
          out[dst + 1] = data[src + 1];
          out[dst + 2] = data[src + 2];
          out[dst + 3] = data[src + 3];
        }
      } else {
        for (; src < end; src++, dst++) out[dst] = data[src];
      }
    }
  }
  return touched;
}
function adamRows(p, mv, rows, order, grad, dim, start, end, oneMinusB1, oneMinusB2, eps, l2, negStep) {
  for (let t = start; t < end; t++) {
    const s = order === null ? t : order[t];
    const r = rows[s] * dim;
    const q = rows[s] * 2 * dim;
    const gb = s * dim;
    for (let j = 0; j < dim; j++) {
      const i = r + j;
      const pi = p[i];
      const gi = l2 === 0 ? grad[gb + j] : fr(grad[gb + j] + fr(l2 * pi));
      const m0 = mv[q + j];
      const v0 = mv[q + dim + j];
      const mn = fr(m0 + fr(fr(gi - m0) * oneMinusB1));
      const vn = fr(v0 + fr(fr(fr(gi * gi) - v0) * oneMinusB2));
      mv[q + j] = mn;
      mv[q + dim + j] = vn;
      p[i] = pi + fr(negStep * fr(mn / fr(fr(Math.sqrt(vn)) + eps)));
    }
  }
}
function adagradRows(p, sum, rows, order, grad, dim, start, end, eps, l2, negLr) {
  for (let t = start; t < end; t++) {
    const s = order === null ? t : order[t];
    const r = rows[s] * dim;
    const gb = s * dim;
    for (let j = 0; j < dim; j++) {
      const i = r + j;
      const pi = p[i];
      const gi = l2 === 0 ? grad[gb + j] : fr(grad[gb + j] + fr(l2 * pi));
      const si = fr(sum[i] + fr(gi * gi));
      sum[i] = si;
      p[i] = pi + fr(negLr * fr(gi / fr(fr(Math.sqrt(si)) + eps)));
    }
  }
}
`;

export const { adamRows, adagradRows, copyRows } = new Function(`${ROW_KERNELS_SOURCE}\nreturn { adamRows, adagradRows, copyRows };`)() as {
  adamRows: AdamRows;
  adagradRows: AdagradRows;
  copyRows: CopyRows;
};
