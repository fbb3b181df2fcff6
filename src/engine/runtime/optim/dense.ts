// Optimizers for the flat dense weight vector theta, updated in place. Each follows torch.optim's update rule
// (Adam/AdamW/Adagrad/SGD, single-tensor path) so that a run here and its PyTorch peer stay comparable. Adam and
// AdamW, the usual choice and a per-step cost on every weight, run in float32 as torch does, in the SIMD kernel
// of kernels.wat (with theta and the gradient copied in and theta copied out: three memcpys, against a kernel
// 6x faster than the JavaScript loop); Adagrad and SGD run in float64 here and store float32.
import { OptmsmError } from '../../../errors.js';
import { KernelMemory } from '../kernels/index.js';

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

/** Adam's working set in kernel memory; lengths rounded up to whole SIMD vectors, the padding kept at zero. */
interface AdamBuffers {
  memory: KernelMemory;
  param: Float32Array;
  grad: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

export class DenseOptimizer {
  readonly config: Readonly<DenseOptimizerConfig>;
  lr: number;
  private stepCount = 0;
  private readonly slots: Record<string, Float32Array>;
  private readonly adamBuffers: AdamBuffers | null = null;

  constructor(config: DenseOptimizerConfig, size: number) {
    this.config = { ...config };
    this.lr = config.lr;
    if (config.name === 'adam' || config.name === 'adamw') {
      const padded = Math.ceil(size / 4) * 4;
      const memory = new KernelMemory(4 * padded * 4 + 4096);
      if (!memory.fits(4 * padded * 4)) {
        throw new OptmsmError('E_ENGINE_STATE', `${size} dense weights do not fit the optimizer's 4 GiB kernel memory`, { found: String(size) });
      }
      const [param, grad, m, v] = [0, 1, 2, 3].map(() => memory.float32(padded));
      this.adamBuffers = { memory, param, grad, m, v };
      this.slots = { exp_avg: m.subarray(0, size), exp_avg_sq: v.subarray(0, size) };
      return;
    }
    const names = { adagrad: ['sum'], sgd: config.momentum ? ['momentum'] : [] }[config.name];
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
        return adam(this.adamBuffers!, param, grad, this.lr, c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.eps ?? 1e-8, wd, c.name === 'adamw', this.stepCount);
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

function adam(b: AdamBuffers, p: Float32Array, g: Float32Array, lr: number, b1: number, b2: number, eps: number,
  wd: number, decoupled: boolean, step: number): void {
  b.param.set(p);
  b.grad.set(g);
  const at = (view: Float32Array) => b.memory.pointer(view);
  b.memory.kernels.adam_dense(
    at(b.param), at(b.grad), at(b.m), at(b.v), b.param.length,
    b1, 1 - b1, b2, 1 - b2, Math.sqrt(1 - b2 ** step), eps, -lr / (1 - b1 ** step), decoupled ? 1 - lr * wd : 1, decoupled ? 0 : wd,
  );
  p.set(b.param.subarray(0, p.length));
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
