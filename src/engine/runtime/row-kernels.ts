// The per-row update loops of the sparse optimizers, written once as plain JavaScript source so that the main
// thread and the helper thread (helper-thread.ts) run the very same code: a step gives bit-identical rows
// whichever thread updated them. Arithmetic follows torch.optim.SparseAdam / sparse Adagrad op by op in
// float32 (Math.fround after each operation).

export type AdamRows = (
  p: Float32Array, m: Float32Array, v: Float32Array, rows: Int32Array, grad: Float32Array, dim: number, start: number, end: number,
  oneMinusB1: number, oneMinusB2: number, eps: number, l2: number, negStep: number,
) => void;

export type AdagradRows = (
  p: Float32Array, sum: Float32Array, rows: Int32Array, grad: Float32Array, dim: number, start: number, end: number,
  eps: number, l2: number, negLr: number,
) => void;

export const ROW_KERNELS_SOURCE = `
const fr = Math.fround;
function adamRows(p, m, v, rows, grad, dim, start, end, oneMinusB1, oneMinusB2, eps, l2, negStep) {
  for (let s = start; s < end; s++) {
    const r = rows[s] * dim;
    const gb = s * dim;
    for (let j = 0; j < dim; j++) {
      const i = r + j;
      const pi = p[i];
      const gi = l2 === 0 ? grad[gb + j] : fr(grad[gb + j] + fr(l2 * pi));
      const m0 = m[i];
      const v0 = v[i];
      const mn = fr(m0 + fr(fr(gi - m0) * oneMinusB1));
      const vn = fr(v0 + fr(fr(fr(gi * gi) - v0) * oneMinusB2));
      m[i] = mn;
      v[i] = vn;
      p[i] = pi + fr(negStep * fr(mn / fr(fr(Math.sqrt(vn)) + eps)));
    }
  }
}
function adagradRows(p, sum, rows, grad, dim, start, end, eps, l2, negLr) {
  for (let s = start; s < end; s++) {
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

export const { adamRows, adagradRows } = new Function(`${ROW_KERNELS_SOURCE}\nreturn { adamRows, adagradRows };`)() as {
  adamRows: AdamRows;
  adagradRows: AdagradRows;
};
