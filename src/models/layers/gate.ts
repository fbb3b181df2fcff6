// Softmax gates over K experts and the weighted mixture they select.
import { matmul, softmax, squeeze, unsqueeze, type Tensor } from '../../engine/index.js';
import { asLayer, linear, type Layer } from './mlp.js';
import type { RoutedLayer, Routing } from './scenario-params.js';

/** a = softmax(x W + b) over K: [B, in] → [B, K]. */
export function gate(name: string, inDim: number, count: number): Layer {
  const logits = linear(name, inDim, count);
  return asLayer((x) => softmax(logits(x), -1), count);
}

/** One gate per scenario, routed: the sample's own scenario's gate weights. */
export function scenarioGate(name: string, numScenarios: number, inDim: number, count: number): RoutedLayer {
  const logits = linear(name, inDim, count, { scenarios: numScenarios });
  return Object.assign((x: Tensor, routing: Routing) => softmax(logits(x, routing), -1), { outDim: count });
}

/** Σ_k a_k e_k: weights [B, K], experts [B, K, m] → [B, m] (a batched 1-row matmul, not a broadcast mul). */
export function mix(weights: Tensor, experts: Tensor): Tensor {
  return squeeze(matmul(unsqueeze(weights, 1), experts), 1);
}
