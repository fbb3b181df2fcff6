// Optimizers for the flat dense weight vector theta, updated in place. Each follows torch.optim's update rule
// (Adam/AdamW/Adagrad/SGD, single-tensor path) so that a run here and its PyTorch peer stay comparable. Adam and
// AdamW, the usual choice and a per-step cost on every weight, run in float32 as torch does, in the SIMD kernel
// of kernels.wat (with theta and the gradient copied in and theta copied out: three memcpys, against a kernel
// 6x faster than the JavaScript loop); Adagrad and SGD run in float64 here and store float32.
import { OptmsmError } from '../../../errors.js';
import { type KernelCall, KernelMemory } from '../kernels/index.js';

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

  /**
   * Adam and AdamW keep their working set in `memory` when given (e.g. one a helper thread shares, so that the
   * update can run there: `startUpdate`), else in a kernel memory of their own.
   */
  constructor(config: DenseOptimizerConfig, size: number, memory: KernelMemory | null = null) {
    this.config = { ...config };
    this.lr = config.lr;
    if (config.name === 'adam' || config.name === 'adamw') {
      const padded = Math.ceil(size / 4) * 4;
      const home = memory ?? new KernelMemory(4 * padded * 4 + 4096);
      if (!home.fits(4 * padded * 4)) {
        throw new OptmsmError('E_ENGINE_STATE', `${size} dense weights do not fit the optimizer's 4 GiB kernel memory`, { found: String(size) });
      }
      const [param, grad, m, v] = [0, 1, 2, 3].map(() => home.float32(padded));
      this.adamBuffers = { memory: home, param, grad, m, v };
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

  /** The kernel memory the update works in (Adam, AdamW), or null. */
  get memory(): KernelMemory | null {
    return this.adamBuffers?.memory ?? null;
  }

  /** Applies one update to `param` from `grad` (same length). */
  update(param: Float32Array, grad: Float32Array): void {
    const call = this.startUpdate(param, grad);
    if (call !== null) {
      this.adamBuffers!.memory.run(call);
      this.finishUpdate(param);
    }
  }

  /**
   * Starts one update. Adam and AdamW copy param and grad into kernel memory and return the kernel call that
   * updates them there, to be run here or on a thread that shares the memory, then finishUpdate copies param
   * back. The others update param at once and return null.
   */
  startUpdate(param: Float32Array, grad: Float32Array): KernelCall | null {
    this.stepCount++;
    const c = this.config;
    const wd = c.weightDecay ?? 0;
    switch (c.name) {
      case 'adam':
      case 'adamw':
        return adamCall(this.adamBuffers!, param, grad, this.lr, c.beta1 ?? 0.9, c.beta2 ?? 0.999, c.eps ?? 1e-8, wd, c.name === 'adamw', this.stepCount);
      case 'adagrad': {
        const clr = this.lr / (1 + (this.stepCount - 1) * (c.lrDecay ?? 0));
        adagrad(param, grad, this.slots.sum, clr, c.eps ?? 1e-10, wd);
        return null;
      }
      case 'sgd':
        sgd(param, grad, this.slots.momentum ?? null, this.lr, c.momentum ?? 0, c.dampening ?? 0, c.nesterov ?? false, wd, this.stepCount === 1);
        return null;
    }
  }

  /** Copies the updated weights out of kernel memory after the call of startUpdate has run. */
  finishUpdate(param: Float32Array): void {
    if (this.adamBuffers) param.set(this.adamBuffers.param.subarray(0, param.length));
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

function adamCall(b: AdamBuffers, p: Float32Array, g: Float32Array, lr: number, b1: number, b2: number, eps: number,
  wd: number, decoupled: boolean, step: number): KernelCall {
  b.param.set(p);
  b.grad.set(g);
  const at = (view: Float32Array) => b.memory.pointer(view);
  const scalars = [b1, 1 - b1, b2, 1 - b2, Math.sqrt(1 - b2 ** step), eps, -lr / (1 - b1 ** step), decoupled ? 1 - lr * wd : 1, decoupled ? 0 : wd];
  return { name: 'adam_dense', args: [at(b.param), at(b.grad), at(b.m), at(b.v), b.param.length, ...scalars] };
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
