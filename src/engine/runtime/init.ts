// Seeded initialisers for ParamSpec.init / BufferSpec.init. Our weights are laid out [.., in, out] (x @ W), so
// fanIn = shape[-2] and fanOut = shape[-1]; leading dimensions are stacks (experts, scenarios) and do not count.
// A 1-D shape (a bias) uses its length for both fans, a scalar uses 1.
import type { Init } from '../tensor.js';
import type { Rng } from './rng.js';

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  return { fanIn: shape[shape.length - 2], fanOut: shape[shape.length - 1] };
}

/** Fills `target` (the parameter's slice, `shape` elements in row-major order) according to `init`. */
export function fillInit(target: Float32Array, shape: readonly number[], init: Init, rng: Rng): void {
  const { fanIn, fanOut } = fans(shape);
  switch (init.kind) {
    case 'zeros':
      return void target.fill(0);
    case 'ones':
      return void target.fill(1);
    case 'constant':
      return void target.fill(init.value);
    case 'uniform':
      return fillUniform(target, init.low, init.high, rng);
    case 'normal':
      return fillNormal(target, init.mean ?? 0, init.std, rng);
    case 'xavier_uniform': {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      return fillUniform(target, -bound, bound, rng);
    }
    case 'xavier_normal':
      return fillNormal(target, 0, Math.sqrt(2 / (fanIn + fanOut)), rng);
    case 'he_uniform': {
      const bound = Math.sqrt(6 / fanIn);
      return fillUniform(target, -bound, bound, rng);
    }
    case 'he_normal':
      return fillNormal(target, 0, Math.sqrt(2 / fanIn), rng);
  }
}

function fillUniform(target: Float32Array, low: number, high: number, rng: Rng): void {
  const width = high - low;
  for (let i = 0; i < target.length; i++) target[i] = low + width * rng.nextFloat();
}

function fillNormal(target: Float32Array, mean: number, std: number, rng: Rng): void {
  for (let i = 0; i < target.length; i++) target[i] = mean + std * rng.nextNormal();
}
