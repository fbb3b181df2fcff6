// Lazy optimizers for embedding rows: only the rows a batch touched are read and written, so a step costs
// O(batch), not O(table). SparseAdam reproduces torch.optim.SparseAdam operation by operation in float32
// (Math.fround after each op), including its bias correction by the optimizer's global step count, not a
// per-row count: a row seen for the first time at step 1000 gets step 1000's correction, as in torch.
import { OptmsmError } from '../../../errors.js';
import type { EmbeddingTable, SparseRowGrad } from '../embedding-store.js';
import type { OptimizerSlots } from './dense.js';

export interface SparseOptimizerConfig {
  name: 'adam' | 'adagrad';
  lr: number;
  /** L2 penalty on the rows used in the batch, added to their gradient. Default 0. */
  l2?: number;
  beta1?: number;
  beta2?: number;
  /** Default 1e-8 (adam), 1e-10 (adagrad, as torch). */
  eps?: number;
  /** adagrad only. Default 0. */
  initialAccumulator?: number;
}

const fr = Math.fround;

export class SparseOptimizer {
  readonly config: Readonly<SparseOptimizerConfig>;
  lr: number;
  private readonly tables = new Map<string, { step: number; slots: Record<string, Float32Array> }>();

  constructor(config: SparseOptimizerConfig, tables: readonly EmbeddingTable[]) {
    this.config = { ...config };
    this.lr = config.lr;
    for (const t of tables) {
      const n = t.data.length;
      const slots: Record<string, Float32Array> =
        config.name === 'adam'
          ? { exp_avg: new Float32Array(n), exp_avg_sq: new Float32Array(n) }
          : { sum: new Float32Array(n).fill(config.initialAccumulator ?? 0) };
      this.tables.set(t.name, { step: 0, slots });
    }
  }

  /** Updates the touched rows of each table in `grads` (one entry per table that the batch used). */
  update(grads: readonly SparseRowGrad[]): void {
    for (const g of grads) {
      const state = this.tables.get(g.table.name);
      if (!state) throw new OptmsmError('E_ENGINE_STATE', `sparse optimizer has no state for table ${g.table.name}`);
      state.step++;
      if (this.config.name === 'adam') this.adam(g, state.slots, state.step);
      else this.adagrad(g, state.slots);
    }
  }

  private adam(g: SparseRowGrad, slots: Record<string, Float32Array>, step: number): void {
    const c = this.config;
    const beta1 = c.beta1 ?? 0.9;
    const beta2 = c.beta2 ?? 0.999;
    const oneMinusB1 = fr(1 - beta1);
    const oneMinusB2 = fr(1 - beta2);
    const eps = fr(c.eps ?? 1e-8);
    const l2 = fr(c.l2 ?? 0);
    const stepSize = (this.lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
    const negStep = fr(-stepSize);
    const { dim, data: p } = g.table;
    const m = slots.exp_avg;
    const v = slots.exp_avg_sq;
    const { rows, grad, count } = g;
    for (let s = 0; s < count; s++) {
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

  private adagrad(g: SparseRowGrad, slots: Record<string, Float32Array>): void {
    const c = this.config;
    const eps = fr(c.eps ?? 1e-10);
    const l2 = fr(c.l2 ?? 0);
    const negLr = fr(-this.lr);
    const { dim, data: p } = g.table;
    const sum = slots.sum;
    const { rows, grad, count } = g;
    for (let s = 0; s < count; s++) {
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

  /** With `copy` false the slots are live views (for writing a file without doubling the memory). */
  getState(copy = true): Record<string, OptimizerSlots> {
    const out: Record<string, OptimizerSlots> = {};
    for (const [name, s] of this.tables) {
      out[name] = { step: s.step, slots: Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, copy ? v.slice() : v])) };
    }
    return out;
  }

  setState(state: Record<string, OptimizerSlots>): void {
    for (const [name, s] of this.tables) {
      const saved = state[name];
      if (!saved) throw new OptmsmError('E_ENGINE_STATE', `saved sparse optimizer state lacks table ${name}`, { expected: name });
      for (const [slotName, slot] of Object.entries(s.slots)) {
        const values = saved.slots[slotName];
        if (!values || values.length !== slot.length) {
          throw new OptmsmError('E_ENGINE_STATE', `saved sparse optimizer state for ${name} lacks slot ${slotName} of ${slot.length} values`, {
            expected: `${slotName}[${slot.length}]`,
            found: values ? `${slotName}[${values.length}]` : 'none',
          });
        }
        slot.set(values);
      }
      s.step = saved.step;
    }
  }
}
