// Target attention over a behaviour sequence (DIN: Zhou, Zhu, Song, Fan, Zhu, Ma, Yan, Jin, Li, Gai, "Deep
// Interest Network for Click-Through Rate Prediction", KDD 2018): each behaviour e_j is weighted by an
// activation unit that sees it beside the target v:
//   a_j = MLP([e_j ; v ; e_j − v ; e_j ⊙ v])          scalar per position                      [B, L]
//   u   = Σ_j m_j a_j e_j         (DIN: no normalisation, so the sum also carries how much matched)
//       or Σ_j softmax_j(a_j | m) e_j   (`normalize: softmax`, a weighted mean)                  [B, d]
// m_j = 1 for a real behaviour, 0 for padding. Padding positions are the zero rows the embedding store leaves
// for id 0 (no real row is exactly zero), so the mask is read from the keys and needs no input of its own.
import { z } from 'zod';
import {
  abs, add, cast, concat, greater, mul, reduceSum, softmax, squeeze, sub, unsqueeze, where, type Tensor,
} from '../../engine/index.js';
import { mix } from './gate.js';
import { activationSchema, hiddenSchema, mlp, type Activation } from './mlp.js';

export const attentionNormalizeSchema = z.enum(['none', 'softmax']);

export interface TargetAttentionOptions {
  hidden: readonly number[];
  activation?: Activation;
  normalize?: z.infer<typeof attentionNormalizeSchema>;
}

/** The keys' padding mask: 1 where a position holds a behaviour. keys [B, L, d] → [B, L]. */
export function sequenceMask(keys: Tensor): Tensor {
  return cast(greater(reduceSum(abs(keys), [2]), 0), 'float32');
}

/**
 * (keys [B, L, d], query [B, d]) → the attention-pooled interest [B, d]; `mask` [B, L] defaults to the keys'
 * own (a caller that transforms the keys passes the mask of the embeddings they came from).
 */
export function targetAttention(
  name: string, dim: number, options: TargetAttentionOptions,
): (keys: Tensor, query: Tensor, mask?: Tensor) => Tensor {
  const { hidden, activation = 'relu', normalize = 'none' } = options;
  const unit = mlp(name, 4 * dim, { hidden, activation, outputDim: 1 });
  return (keys, query, mask = sequenceMask(keys)) => {
    const q = add(mul(keys, 0), unsqueeze(query, 1)); // v at every position, [B, L, d]
    const scores = squeeze(unit(concat([keys, q, sub(keys, q), mul(keys, q)], 2)), 2); // a_j, [B, L]
    const weights = normalize === 'softmax' ? mul(softmax(where(greater(mask, 0), scores, -1e9), -1), mask) : mul(scores, mask);
    return mix(weights, keys); // [B, d]
  };
}

/** The keys a model's config uses for the target attention layer. */
export const attentionShape = {
  attention_hidden: hiddenSchema.default([36]).describe('hidden sizes of the attention unit'),
  attention_activation: activationSchema.default('relu').describe('activation of the attention unit'),
  attention_normalize: attentionNormalizeSchema.default('none').describe('none: DIN\'s unnormalised sum; softmax: a weighted mean'),
};
