// The one configurable block (as FuxiCTR's MLP_Block): Linear → [norm] → activation → [dropout] per hidden
// layer, then an optional plain linear output layer. It serves as tower, expert, encoder and hypernetwork.
import { z } from 'zod';
import {
  dropout, layerNorm, leakyRelu, linearOp, param, relu, scope, sigmoid, tanh, type Tensor,
} from '../../engine/index.js';
import { batchNorm } from './partitioned-norm.js';

export const activationSchema = z.enum(['relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear']);
export type Activation = z.infer<typeof activationSchema>;
export const normSchema = z.enum(['none', 'batch', 'layer']);
export type Norm = z.infer<typeof normSchema>;
export const hiddenSchema = z.array(z.number().int().positive());
export const dropoutSchema = z.number().min(0).lt(1);

export function activate(x: Tensor, activation: Activation): Tensor {
  switch (activation) {
    case 'relu': return relu(x);
    case 'leaky_relu': return leakyRelu(x, 0.01);
    case 'tanh': return tanh(x);
    case 'sigmoid': return sigmoid(x);
    case 'linear': return x;
  }
}

export function maybeDropout(x: Tensor, rate: number): Tensor {
  return rate > 0 ? dropout(x, rate) : x;
}

export interface MlpOptions {
  hidden: readonly number[];
  activation?: Activation;
  dropout?: number;
  norm?: Norm;
  /** A final linear layer (no activation) to this size; omitted: the last hidden layer is the output. */
  outputDim?: number;
}

/** A layer that also knows its output width, so the next layer can be sized at build time. */
export type Layer = ((x: Tensor) => Tensor) & { readonly outDim: number };

export function asLayer(fn: (x: Tensor) => Tensor, outDim: number): Layer {
  return Object.assign(fn, { outDim });
}

/** y = x W + b with W [in, out] (Xavier) and b [out] (zeros). */
export function linear(name: string, inDim: number, outDim: number, bias = true): Layer {
  const [w, b] = scope(name, () => [
    param('weight', [inDim, outDim], { kind: 'xavier_uniform' }),
    bias ? param('bias', [outDim], { kind: 'zeros' }) : undefined,
  ] as const);
  return asLayer((x) => linearOp(x, w, b), outDim);
}

function normLayer(name: string, dim: number, norm: Norm): (x: Tensor) => Tensor {
  if (norm === 'none') return (x) => x;
  if (norm === 'batch') return batchNorm(name, dim);
  const [gamma, beta] = scope(name, () => [
    param('gamma', [dim], { kind: 'ones' }),
    param('beta', [dim], { kind: 'zeros' }),
  ] as const);
  return (x) => layerNorm(x, gamma, beta, -1);
}

export function mlp(name: string, inDim: number, options: MlpOptions): Layer {
  const { hidden, activation = 'relu', dropout: rate = 0, norm = 'none', outputDim } = options;
  return scope(name, () => {
    const steps: ((x: Tensor) => Tensor)[] = [];
    let dim = inDim;
    hidden.forEach((units, i) => {
      const dense = linear(String(i), dim, units, norm !== 'batch');
      const normalise = normLayer(`${i}.norm`, units, norm);
      steps.push((x) => maybeDropout(activate(normalise(dense(x)), activation), rate));
      dim = units;
    });
    if (outputDim !== undefined) {
      steps.push(linear('out', dim, outputDim));
      dim = outputDim;
    }
    return asLayer((x) => steps.reduce((h, step) => step(h), x), dim);
  });
}
