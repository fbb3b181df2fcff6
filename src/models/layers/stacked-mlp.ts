// K MLPs with the same shape (experts, shared-information encoders) run as one batched matmul: weights
// [K, in, out], activations kept as [K, B, ·] inside and returned as [B, K, out].
import { add, layerNorm, linearOp, matmul, param, reshape, scope, transpose, type Tensor } from '../../engine/index.js';
import { activate, asLayer, maybeDropout, type Layer } from './mlp.js';
import type { StackedOptions } from './scenario-params.js';

export interface StackedMlp extends Layer {
  /** The first layer's weights [K, in, h1]: the parameter-orthogonality loss reads them. */
  readonly firstWeights: Tensor;
}

/**
 * x [B, in] shared by all K against w [K, in, units]: one wide Gemm x · [W_1 … W_K] instead of a broadcast
 * batched matmul, whose backward would materialise K copies of dL/dx and sum them. Later layers are batched.
 */
function firstOfShared(x: Tensor, w: Tensor, layer: number): Tensor {
  if (layer > 0 || x.shape.length !== 2) return matmul(x, w);
  const [K, inDim, units] = w.shape as number[];
  const wide = reshape(transpose(w, [1, 0, 2]), [inDim, K * units]); // [in, K·units]
  return transpose(reshape(linearOp(x, wide), ['B', K, units]), [1, 0, 2]); // [K, B, units]
}

/** Input [B, in] shared by all K, or [B, K, in] one per MLP; output [B, K, out]. */
export function stackedMlp(name: string, count: number, inDim: number, options: StackedOptions & { outputDim?: number }): StackedMlp {
  const { hidden, activation = 'relu', dropout: rate = 0, layerNorm: useNorm = false, outputDim } = options;
  const K = count;
  return scope(name, () => {
    const steps: ((x: Tensor) => Tensor)[] = [];
    const weights: Tensor[] = [];
    let dim = inDim;
    const sizes = outputDim === undefined ? [...hidden] : [...hidden, outputDim];
    sizes.forEach((units, i) => {
      const isOutput = outputDim !== undefined && i === sizes.length - 1;
      const { w, b, gamma, beta } = scope(isOutput ? 'out' : String(i), () => ({
        w: param('weight', [K, dim, units], { kind: 'xavier_uniform' }),
        b: param('bias', [K, 1, units], { kind: 'zeros' }),
        gamma: useNorm && !isOutput ? param('norm.gamma', [units], { kind: 'ones' }) : null,
        beta: useNorm && !isOutput ? param('norm.beta', [units], { kind: 'zeros' }) : null,
      }));
      weights.push(w);
      steps.push((x) => {
        let h = add(firstOfShared(x, w, i), b); // [K, B, units]
        if (isOutput) return h;
        if (gamma && beta) h = layerNorm(h, gamma, beta, -1);
        return maybeDropout(activate(h, activation), rate);
      });
      dim = units;
    });
    const apply = (x: Tensor): Tensor => {
      // [B, in] broadcasts against [K, in, out]; [B, K, in] is turned into [K, B, in] first.
      const start = x.shape.length === 3 ? transpose(x, [1, 0, 2]) : x;
      return transpose(steps.reduce((h, step) => step(h), start), [1, 0, 2]);
    };
    return Object.assign(asLayer(apply, dim), { firstWeights: weights[0] });
  });
}
