// AdaptDHM — Li et al., "AdaptDHM: Adaptive Distribution Hierarchical Model for Multi-Domain CTR
// Prediction", 2022. Samples are routed to C expert clusters by their distribution, not by
// a predefined domain (x = every field, [B, D]; c_k the cluster centres, unit vectors, [C, D]):
//   distribution adaptation (dynamic routing, no gradient), in training, `routing_iterations` times:
//     s_ik = ⟨x_i, c_k⟩,  r_i = softmax_k(s_i),  c_k ← normalize(β c_k + (1 − β) Σ_i r_ik x_i)
//   cluster of sample i:  k_i = argmax_k ⟨x_i, c_k⟩  (with the updated centres; at inference the stored ones)
//   hierarchical classification (shared ⊙ cluster-specific, as STAR):
//     h^(l+1) = ReLU(h^l (W^l ⊙ W^l_(k_i)) + b^l + b^l_(k_i)),  h^0 = x;   logit = the last such layer, 1 unit
// Choices: the router reads the embeddings through stop-gradient (the clustering is not trained by the loss,
// only by its centre updates); the centres are buffers (saved with the run) that start as normalised
// Gaussian vectors. The samples are sorted by cluster inside the graph and each cluster's rows meet only its
// weights (one product per cluster, as scenario routing). Ties in the argmax go to the lowest cluster.
// Unlike the scenario-routed models, a sample's parameters follow its cluster, which may mix scenarios.
import { z } from 'zod';
import {
  add, assignBuffer, buffer, cast, div, greater, isTraining, matmul, maximum, mul, reduceSum, slice, softmax,
  sqrt, squeeze, stopGradient, sub, transpose, type Tensor,
} from '../engine/index.js';
import { defineModel } from './model.js';
import { allFields, concatFields, fieldsWidth } from './layers/embedding.js';
import { activate, activationSchema, dropoutSchema, hiddenSchema, maybeDropout } from './layers/mlp.js';
import { groupRows } from './layers/scenario-params.js';
import { starLinear } from './layers/star-linear.js';

const config = z.strictObject({
  hidden: hiddenSchema.default([64, 64]).describe('hidden sizes of the cluster networks'),
  clusters: z.number().int().min(1).default(3).describe('C: number of expert clusters'),
  beta: z.number().min(0).lt(1).default(0.9).describe('β: weight of the old centre in each update'),
  routing_iterations: z.number().int().positive().default(3).describe('centre updates per training batch'),
  activation: activationSchema.default('relu').describe('activation of the hidden layers'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
});

const normalize = (c: Tensor) => div(c, sqrt(add(reduceSum(mul(c, c), [1], true), 1e-12))); // rows to unit length

/** The index of each row's largest score (the first on ties), int32 [B]: scores [B, C]. */
function argmaxRows(scores: Tensor): Tensor {
  const C = scores.shape[1] as number;
  const column = (k: number) => squeeze(slice(scores, 1, k, k + 1), 1);
  let best = column(0);
  let index: Tensor = mul(best, 0);
  for (let k = 1; k < C; k += 1) {
    const better = greater(column(k), best);
    index = add(mul(index, sub(1, cast(better, 'float32'))), mul(cast(better, 'float32'), k));
    best = maximum(best, column(k));
  }
  return cast(index, 'int32');
}

export const adaptdhm = defineModel({
  name: 'adaptdhm',
  description: 'AdaptDHM: samples routed to expert clusters by dynamic routing; shared ⊙ cluster-specific layers',
  search: { hidden: [[32, 32], [64, 64], [128, 64]], clusters: [2, 3, 5], beta: [0.5, 0.9, 0.99], dropout: [0, 0.1, 0.2] },
  config,
  build(cfg, ctx) {
    const C = cfg.clusters;
    const inDim = fieldsWidth(ctx.fields, allFields);
    const dims = [inDim, ...cfg.hidden, 1];
    const centres = buffer('centres', [C, inDim], { kind: 'normal', std: 1 });
    const layers = dims.slice(0, -1).map((n, l) => starLinear(l === dims.length - 2 ? 'fcn.out' : `fcn.${l}`, C, n, dims[l + 1]));

    return (inputs) => {
      const x = concatFields(inputs, allFields); // [B, D]
      const xs = stopGradient(x);
      let c = normalize(centres); // [C, D]
      if (isTraining()) {
        for (let t = 0; t < cfg.routingIterations; t += 1) {
          const r = softmax(matmul(xs, transpose(c, [1, 0])), -1); // r_ik, [B, C]
          c = normalize(add(mul(c, cfg.beta), mul(matmul(transpose(r, [1, 0]), xs), 1 - cfg.beta))); // [C, D]
        }
        assignBuffer(centres, c);
      }
      const cluster = argmaxRows(matmul(xs, transpose(c, [1, 0]))); // k_i, int32 [B]
      // Each cluster's rows meet its weights only: sort by cluster, one product per cluster, sort back.
      const rows = groupRows(cluster, C);
      let h = rows.sort(x);
      layers.forEach((layer, l) => {
        h = layer(h, rows.routing);
        if (l < layers.length - 1) h = maybeDropout(activate(h, cfg.activation), cfg.dropout);
      });
      return { logit: rows.unsort(squeeze(h, 1)), aux: {} };
    };
  },
});
