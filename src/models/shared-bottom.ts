// SharedBottom for multi-scenario CTR (Caruana, "Multitask Learning", 1997, with scenarios as tasks):
//   h = MLP_bottom(e)                 e = all field embeddings and numeric inputs
//   logit = tower_s(x)(h)             one tower per scenario, routed by the sample's scenario
// Defaults follow the Scenario-Wise-Rec ML benchmark (bottom [128], towers [8]).
// `prediction: hyper` replaces the towers with OptMSM's SSH (optmsm-model.md, "OptMSM as a framework").
import { z } from 'zod';
import { defineModel } from './model.js';
import { allFields, concatFields, fieldsWidth } from './layers/embedding.js';
import { activationSchema, dropoutSchema, hiddenSchema, mlp, normSchema } from './layers/mlp.js';
import { predictionGrouped, predictionModule, predictionShape } from './layers/prediction.js';

const config = z.strictObject({
  bottom_hidden: hiddenSchema.min(1).default([128]).describe('hidden sizes of the shared bottom MLP'),
  ...predictionShape([8]),
  activation: activationSchema.default('relu').describe('activation of every hidden layer'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
  norm: normSchema.default('none').describe('normalisation after each hidden linear layer'),
});

export const sharedBottom = defineModel({
  name: 'shared-bottom',
  description: 'SharedBottom: one shared MLP, one tower per scenario',
  search: { bottom_hidden: [[64], [128], [256, 128]], tower_hidden: [[8], [32], [64, 32]], dropout: [0, 0.1, 0.2], norm: ['none', 'batch', 'layer'] },
  config,
  grouped: predictionGrouped,
  build(cfg, ctx) {
    const act = { activation: cfg.activation, dropout: cfg.dropout, norm: cfg.norm };
    const bottom = mlp('bottom', fieldsWidth(ctx.fields, allFields), { hidden: cfg.bottomHidden, ...act });
    const predict = predictionModule('tower', ctx, bottom.outDim, cfg);
    return (inputs) => {
      const h = bottom(concatFields(inputs, allFields)); // [B, H]
      return { logit: predict(h, inputs), aux: {} };
    };
  },
});
