// Per-scenario parameters, routed: weights of all S scenarios are stacked as [S, ...], gathered by scenario id
// into [B, ...] and applied with one batched matmul, so each sample only ever meets its own scenario's
// weights (never S towers on every sample followed by a mask).
import {
  add, constant, div, gather, layerNorm, matmul, maximum, mul, oneHot, param, reduceSum, scope, squeeze, transpose,
  unsqueeze, type Tensor,
} from '../../engine/index.js';
import { activate, maybeDropout, type Activation, type MlpOptions, type Norm } from './mlp.js';
import { partitionedNorm } from './partitioned-norm.js';

export type RoutedLayer = ((x: Tensor, scenario: Tensor) => Tensor) & { readonly outDim: number };

function asRouted(fn: (x: Tensor, scenario: Tensor) => Tensor, outDim: number): RoutedLayer {
  return Object.assign(fn, { outDim });
}

/** [S, ...] → [B, ...]: each sample's own scenario slice. */
export function route(stacked: Tensor, scenario: Tensor): Tensor {
  return gather(stacked, scenario, 0);
}

/**
 * Per-scenario values of an input that depends on the scenario only (e.g. the scenario field's embedding):
 * the mean of each scenario's rows, [S, n]. Scenarios absent from the batch get zeros; nothing gathers them.
 */
export function scenarioValues(x: Tensor, scenario: Tensor, numScenarios: number): Tensor {
  const onehotT = transpose(oneHot(scenario, numScenarios), [1, 0]); // [S, B]
  const count = unsqueeze(maximum(reduceSum(onehotT, [1]), 1), 1); // [S, 1]
  return div(matmul(onehotT, x), count);
}

/** y = x W_s + b_s for the sample's scenario s. */
export function scenarioLinear(name: string, numScenarios: number, inDim: number, outDim: number): RoutedLayer {
  const [w, b] = scope(name, () => [
    param('weight', [numScenarios, inDim, outDim], { kind: 'xavier_uniform' }),
    param('bias', [numScenarios, outDim], { kind: 'zeros' }),
  ] as const);
  return asRouted((x, scenario) => add(squeeze(matmul(unsqueeze(x, 1), route(w, scenario)), 1), route(b, scenario)), outDim);
}

function scenarioNorm(name: string, dim: number, S: number, norm: Norm): (x: Tensor, scenario: Tensor) => Tensor {
  if (norm === 'none') return (x) => x;
  // A scenario's tower normalises over that scenario's samples only: partitioned statistics.
  if (norm === 'batch') return partitionedNorm(name, dim, S, { sharedAffine: false });
  const [gamma, beta] = scope(name, () => [
    param('gamma', [S, dim], { kind: 'ones' }),
    param('beta', [S, dim], { kind: 'zeros' }),
  ] as const);
  const unit = constant(new Float32Array(dim).fill(1), [dim]);
  const zero = constant(new Float32Array(dim), [dim]);
  return (x, scenario) => add(mul(layerNorm(x, unit, zero, -1), route(gamma, scenario)), route(beta, scenario));
}

/** A per-scenario MLP (tower): one routed linear layer per hidden size, then an optional output layer. */
export function scenarioMlp(name: string, numScenarios: number, inDim: number, options: MlpOptions): RoutedLayer {
  const { hidden, activation = 'relu', dropout: rate = 0, norm = 'none', outputDim } = options;
  return scope(name, () => {
    const steps: ((x: Tensor, scenario: Tensor) => Tensor)[] = [];
    let dim = inDim;
    hidden.forEach((units, i) => {
      const dense = scenarioLinear(String(i), numScenarios, dim, units);
      const normalise = scenarioNorm(`${i}.norm`, units, numScenarios, norm);
      steps.push((x, s) => maybeDropout(activate(normalise(dense(x, s), s), activation), rate));
      dim = units;
    });
    if (outputDim !== undefined) {
      steps.push(scenarioLinear('out', numScenarios, dim, outputDim));
      dim = outputDim;
    }
    return asRouted((x, s) => steps.reduce((h, step) => step(h, s), x), dim);
  });
}

export interface StackedOptions {
  hidden: readonly number[];
  activation?: Activation;
  dropout?: number;
  layerNorm?: boolean;
}

/**
 * K experts per scenario (PLE's scenario-specific experts): weights [S, K, in, out] routed to [B, K, in, out].
 * Input [B, in] (the same for all K) or [B, K, in]; output [B, K, out].
 */
export function scenarioStackedMlp(
  name: string, numScenarios: number, numExperts: number, inDim: number, options: StackedOptions,
): RoutedLayer {
  const { hidden, activation = 'relu', dropout: rate = 0, layerNorm: useNorm = false } = options;
  const S = numScenarios;
  const K = numExperts;
  return scope(name, () => {
    const steps: ((x: Tensor, scenario: Tensor) => Tensor)[] = [];
    let dim = inDim;
    hidden.forEach((units, i) => {
      const { w, b, gamma, beta } = scope(String(i), () => ({
        w: param('weight', [S, K, dim, units], { kind: 'xavier_uniform' }),
        b: param('bias', [S, K, units], { kind: 'zeros' }),
        gamma: useNorm ? param('norm.gamma', [units], { kind: 'ones' }) : null,
        beta: useNorm ? param('norm.beta', [units], { kind: 'zeros' }) : null,
      }));
      steps.push((x, s) => {
        const x4 = x.shape.length === 2 ? unsqueeze(unsqueeze(x, 1), 1) : unsqueeze(x, 2); // [B, 1|K, 1, in]
        let h = add(squeeze(matmul(x4, route(w, s)), 2), route(b, s)); // [B, K, out]
        if (gamma && beta) h = layerNorm(h, gamma, beta, -1);
        return maybeDropout(activate(h, activation), rate);
      });
      dim = units;
    });
    return asRouted((x, s) => steps.reduce((h, step) => step(h, s), x), dim);
  });
}
