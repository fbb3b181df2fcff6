// Optimizers for the flat dense weight vector theta, updated in place. Each follows torch.optim's update rule
// (Adam/AdamW/Adagrad/SGD, single-tensor path) so that a run here and its PyTorch peer stay comparable; the
// arithmetic runs in float64 and is stored as float32.
import { OptmsmError } from '../../../errors.js';

export interface DenseOptimizerConfig {
  name: 'adam' | 'adamw' | 'adagrad' | 'sgd';
  lr: number;
  /** L2 added to the gradient (adam, adagrad, sgd) or decoupled decay (adamw). Default 0. */
  weightDecay?: number;
  /** sgd only. Default 0. */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  /** Default 1e-8 (adam, adamw), 1e-10 (adagrad, as torch). */
  eps?: number;
  /** adagrad only: lr / (1 + (step - 1) * lrDecay). Default 0. */
  lrDecay?: number;
  /** adagrad only. Default 0. */
  initialAccumulator?: number;
}

/** Step count plus named per-element slots (moments, sums, momentum buffers), each the size of theta. */
export interface OptimizerSlots {
  step: number;
  slots: Record<string, Float32Array>;
}

export class DenseOptimizer {
  readonly config: Readonly<DenseOptimizerConfig>;
  lr: number;
  private stepCount = 0;
  private readonly slots: Record<string, Float32Array>;

  constructor(config: DenseOptimizerConfig, size: number) {
    this.config = { ...config };
    this.lr = config.lr;
    const names = { adam: ['exp_avg', 'exp_avg_sq'], adamw: ['exp_avg', 'exp_avg_sq'], adagrad: ['sum'], sgd: config.momentum ? ['momentum'] : [] }[
      config.name
    ];
    this.slots = Object.fromEntries(names.map((n) => [n, new Float32Array(size)]));
    if (config.name === 'adagrad' && config.initialAccumulator) this.slots.sum.fill(config.initialAccumulator);
  }

  get step(): number {
    return this.stepCount;
  }

  /** Applies one update to `param` from `grad` (same length). */
  update(param: Float32Array, grad: Float32Array): void {
    this.stepCount++;
    const c = this.config;
    const wd = c.weightDecay ?? 0;
    switch (c.name) {
      case 'adam':
      case 'adamw':
        return adam(param, grad, this.slots.exp_avg, this.slots.exp_avg_sq, this.lr, c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.eps ?? 1e-8, wd, c.name === 'adamw', this.stepCount);
      case 'adagrad': {
        const clr = this.lr / (1 + (this.stepCount - 1) * (c.lrDecay ?? 0));
        return adagrad(param, grad, this.slots.sum, clr, c.eps ?? 1e-10, wd);
      }
      case 'sgd':
        return sgd(param, grad, this.slots.momentum ?? null, this.lr, c.momentum ?? 0, c.dampening ?? 0, c.nesterov ?? false, wd, this.stepCount === 1);
    }
  }

  /** With `copy` false the slots are live views. */
  getState(copy = true): OptimizerSlots {
    return { step: this.stepCount, slots: Object.fromEntries(Object.entries(this.slots).map(([k, v]) => [k, copy ? v.slice() : v])) };
  }

  setState(state: OptimizerSlots): void {
    for (const [name, slot] of Object.entries(this.slots)) {
      const saved = state.slots[name];
      if (!saved || saved.length !== slot.length) {
        throw new OptmsmError('E_ENGINE_STATE', `saved dense optimizer state lacks slot ${name} of ${slot.length} values`, {
          expected: `${name}[${slot.length}]`,
          found: saved ? `${name}[${saved.length}]` : 'none',
        });
      }
      slot.set(saved);
    }
    this.stepCount = state.step;
  }
}

function adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, b1: number, b2: number, eps: number,
  wd: number, decoupled: boolean, step: number): void {
  const stepSize = lr / (1 - b1 ** step);
  const bc2Sqrt = Math.sqrt(1 - b2 ** step);
  const decay = decoupled ? 1 - lr * wd : 1;
  const l2 = decoupled ? 0 : wd;
  for (let i = 0; i < p.length; i++) {
    let pi = p[i] * decay;
    const gi = g[i] + l2 * pi;
    const mi = b1 * m[i] + (1 - b1) * gi;
    const vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    pi -= (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    p[i] = pi;
  }
}

function adagrad(p: Float32Array, g: Float32Array, sum: Float32Array, clr: number, eps: number, wd: number): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + wd * p[i];
    const si = sum[i] + gi * gi;
    sum[i] = si;
    p[i] -= (clr * gi) / (Math.sqrt(si) + eps);
  }
}

function sgd(p: Float32Array, g: Float32Array, buf: Float32Array | null, lr: number, momentum: number, dampening: number,
  nesterov: boolean, wd: number, first: boolean): void {
  for (let i = 0; i < p.length; i++) {
    let gi = g[i] + wd * p[i];
    if (buf !== null) {
      const bi = first ? gi : momentum * buf[i] + (1 - dampening) * gi;
      buf[i] = bi;
      gi = nesterov ? gi + momentum * bi : bi;
    }
    p[i] -= lr * gi;
  }
}
