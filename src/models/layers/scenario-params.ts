// Per-scenario parameters, routed: weights of all S scenarios are stacked as [S, ...] and each sample only
// ever meets its own scenario's weights (never S towers on every sample followed by a mask). Weight matrices
// are applied group by group when the batch is sorted by scenario (`groups`, see buildCtrGraph): one product
// per scenario over its rows. Without groups they are gathered into a [B, in, out] copy and applied with one
// batched matmul (the reference path). Small per-scenario vectors (biases, norm affines) are always gathered.
import {
  add, concat, constant, div, gather, groupedMatmul, layerNorm, matmul, maximum, mul, oneHot, param, reduceSum,
  reshape, scope, slice, squeeze, transpose, unsqueeze, type Tensor,
} from '../../engine/index.js';
import { activate, maybeDropout, type Activation, type MlpOptions, type Norm } from './mlp.js';
import { partitionedNorm } from './partitioned-norm.js';

/** Which scenario each row belongs to; `groups` (int32 [S + 1]) when the rows are sorted by scenario. */
export interface Routing {
  scenario: Tensor;
  groups: Tensor | null;
}

export type RoutedLayer = ((x: Tensor, routing: Routing) => Tensor) & { readonly outDim: number };

function asRouted(fn: (x: Tensor, routing: Routing) => Tensor, outDim: number): RoutedLayer {
  return Object.assign(fn, { outDim });
}

/** [S, ...] → [B, ...]: each sample's own scenario slice. */
export function route(stacked: Tensor, scenario: Tensor): Tensor {
  return gather(stacked, scenario, 0);
}

/** x [B, in] @ w[s] [in, out] with s each row's scenario: per scenario group, or with gathered weights. */
export function routedMatmul(x: Tensor, w: Tensor, routing: Routing): Tensor {
  if (routing.groups) return groupedMatmul(x, w, routing.groups);
  return squeeze(matmul(unsqueeze(x, 1), route(w, routing.scenario)), 1);
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
  return asRouted((x, routing) => add(routedMatmul(x, w, routing), route(b, routing.scenario)), outDim);
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
    const steps: ((x: Tensor, routing: Routing) => Tensor)[] = [];
    let dim = inDim;
    hidden.forEach((units, i) => {
      const dense = scenarioLinear(String(i), numScenarios, dim, units);
      const normalise = scenarioNorm(`${i}.norm`, units, numScenarios, norm);
      steps.push((x, r) => maybeDropout(activate(normalise(dense(x, r), r.scenario), activation), rate));
      dim = units;
    });
    if (outputDim !== undefined) {
      steps.push(scenarioLinear('out', numScenarios, dim, outputDim));
      dim = outputDim;
    }
    return asRouted((x, r) => steps.reduce((h, step) => step(h, r), x), dim);
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
    const steps: ((x: Tensor, routing: Routing) => Tensor)[] = [];
    let dim = inDim;
    hidden.forEach((units, i) => {
      const { w, b, gamma, beta } = scope(String(i), () => ({
        w: param('weight', [S, K, dim, units], { kind: 'xavier_uniform' }),
        b: param('bias', [S, K, units], { kind: 'zeros' }),
        gamma: useNorm ? param('norm.gamma', [units], { kind: 'ones' }) : null,
        beta: useNorm ? param('norm.beta', [units], { kind: 'zeros' }) : null,
      }));
      steps.push((x, r) => {
        let h = add(routedExperts(x, w, r), route(b, r.scenario)); // [B, K, out]
        if (gamma && beta) h = layerNorm(h, gamma, beta, -1);
        return maybeDropout(activate(h, activation), rate);
      });
      dim = units;
    });
    return asRouted((x, r) => steps.reduce((h, step) => step(h, r), x), dim);
  });
}

/** K experts of each row's scenario: x [B, in] or [B, K, in], w [S, K, in, out] → [B, K, out]. */
function routedExperts(x: Tensor, w: Tensor, routing: Routing): Tensor {
  const [S, K, inDim, outDim] = w.shape as number[];
  if (!routing.groups) {
    const x4 = x.shape.length === 2 ? unsqueeze(unsqueeze(x, 1), 1) : unsqueeze(x, 2); // [B, 1|K, 1, in]
    return squeeze(matmul(x4, route(w, routing.scenario)), 2);
  }
  if (x.shape.length === 2) {
    // One input for all K experts: one product per group with the K weight matrices side by side.
    const wide = reshape(transpose(w, [0, 2, 1, 3]), [S, inDim, K * outDim]);
    return reshape(groupedMatmul(x, wide, routing.groups), ['B', K, outDim]);
  }
  const expert = (k: number) => squeeze(slice(w, 1, k, k + 1), 1); // [S, in, out]
  const perExpert = [...Array(K).keys()].map((k) => unsqueeze(groupedMatmul(squeeze(slice(x, 1, k, k + 1), 1), expert(k), routing.groups!), 1));
  return concat(perExpert, 1);
}
