// MMoE — Ma, Zhao, Yi, Chen, Hong, Chi, "Modeling Task Relationships in Multi-task Learning with
// Multi-gate Mixture-of-Experts", KDD 2018; scenarios play the role of tasks:
//   f_k(x) = expert_k(x), k = 1..K                       [B, K, m]   (one stacked matmul)
//   g^s(x) = softmax(W_gs x)                              [B, K]      (gate of the sample's scenario only)
//   y = h^s(Σ_k g^s(x)_k f_k(x))                          tower of the sample's scenario only
// x = all field embeddings and numeric inputs. Defaults follow the Scenario-Wise-Rec ML benchmark
// (K = S experts of [16], towers [8]). `prediction: hyper` replaces the towers by OptMSM's SSH.
import { z } from 'zod';
import { defineModel } from './model.js';
import { allFields, concatFields, fieldsWidth } from './layers/embedding.js';
import { mix, scenarioGate } from './layers/gate.js';
import { activationSchema, dropoutSchema, hiddenSchema, mlp, normSchema } from './layers/mlp.js';
import { predictionModule, predictionShape } from './layers/prediction.js';

const config = z.strictObject({
  num_experts: z.number().int().positive().nullable().default(null).describe('K experts; null = one per scenario'),
  expert_hidden: hiddenSchema.min(1).default([16]).describe('hidden sizes of each expert (the last is its output)'),
  ...predictionShape([8]),
  activation: activationSchema.default('relu').describe('activation of experts and towers'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
  norm: normSchema.default('none').describe('normalisation in the per-scenario towers'),
});

export const mmoe = defineModel({
  name: 'mmoe',
  description: 'MMoE: shared experts, one softmax gate and one tower per scenario',
  search: { num_experts: [null, 4, 8], expert_hidden: [[16], [64], [128, 64]], tower_hidden: [[8], [32], [64, 32]], dropout: [0, 0.1, 0.2] },
  config,
  grouped: () => true,
  build(cfg, ctx) {
    const K = cfg.numExperts ?? ctx.numScenarios;
    const inDim = fieldsWidth(ctx.fields, allFields);
    const experts = mlp('experts', inDim, { hidden: cfg.expertHidden, activation: cfg.activation, dropout: cfg.dropout }, { experts: K });
    const gates = scenarioGate('gates', ctx.numScenarios, inDim, K);
    const predict = predictionModule('tower', ctx, experts.outDim, cfg);
    return (inputs) => {
      const x = concatFields(inputs, allFields); // [B, D]
      const f = experts(x); // [B, K, m]
      const g = gates(x, inputs); // [B, K]
      return { logit: predict(mix(g, f), inputs), aux: {} };
    };
  },
});
