// STAR — Sheng, Zhao, Wang, Jiang, Yuan, Liu, Yang, Zhu, Cheng, Zheng, Zhu, "One Model to Serve All: Star
// Topology Adaptive Recommender for Multi-Domain CTR Prediction", CIKM 2021:
//   (PN)   z' = (γ·γ_s) (z − E_s[z]) / sqrt(Var_s[z] + ε) + (β + β_s)   statistics of scenario s's samples in
//          the batch while training, scenario s's running averages at inference
//   (FCN)  h_{l+1} = act((W_l ⊙ W_{l,s}) h_l + b_l + b_{l,s}), star topology on every layer incl. the output
//   (aux)  logit = main_logit + aux(e_scenario)   the auxiliary network sees the scenario-specific fields
//   ŷ = σ(logit); no activation on the logit.
// Choices: the main network reads every field except the scenario field (the scenario enters through PN,
// the star weights and the auxiliary network); W_s starts at ones (see layers/star-linear.ts).
// Defaults follow the Scenario-Wise-Rec ML benchmark (fcn [128, 64, 32], aux [32]); unlike that benchmark,
// PN here uses per-scenario statistics, samples are routed, and the logit has no ReLU.
import { z } from 'zod';
import { add, squeeze, type Tensor } from '../engine/index.js';
import { defineModel } from './model.js';
import { concatFields, fieldsWidth, scenarioFieldName, specificFilter, type FieldFilter } from './layers/embedding.js';
import { activate, activationSchema, dropoutSchema, hiddenSchema, maybeDropout, mlp } from './layers/mlp.js';
import { partitionedNorm } from './layers/partitioned-norm.js';
import { starLinear } from './layers/star-linear.js';

const config = z.strictObject({
  hidden: hiddenSchema.default([128, 64, 32]).describe('hidden sizes of the star-topology network'),
  aux_hidden: hiddenSchema.default([32]).describe('hidden sizes of the auxiliary network'),
  partitioned_norm: z.boolean().default(true).describe('apply partitioned normalisation to the input'),
  pn_momentum: z.number().gt(0).lte(1).default(0.1).describe('weight of the batch in the PN running averages'),
  activation: activationSchema.default('relu').describe('activation of the hidden layers'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
});

export const star = defineModel({
  name: 'star',
  description: 'STAR: partitioned normalisation, star-topology FC layers, auxiliary scenario network',
  search: { hidden: [[64, 32], [128, 64, 32], [256, 128, 64]], aux_hidden: [[16], [32], [64, 32]], pn_momentum: [0.01, 0.1, 0.3], dropout: [0, 0.1, 0.2] },
  config,
  grouped: () => true,
  build(cfg, ctx) {
    const S = ctx.numScenarios;
    const scenarioField = scenarioFieldName(ctx);
    const mainFilter: FieldFilter = (f) => f.name !== scenarioField;
    const auxFilter = specificFilter(ctx);
    const inDim = fieldsWidth(ctx.fields, mainFilter);
    const norm = cfg.partitionedNorm ? partitionedNorm('pn', inDim, S, { momentum: cfg.pnMomentum }) : null;
    const dims = [inDim, ...cfg.hidden, 1];
    const layers = dims.slice(0, -1).map((n, i) => starLinear(i === dims.length - 2 ? 'fcn.out' : `fcn.${i}`, S, n, dims[i + 1]));
    const auxNet = mlp('aux', fieldsWidth(ctx.fields, auxFilter), {
      hidden: cfg.auxHidden, activation: cfg.activation, dropout: cfg.dropout, outputDim: 1,
    });
    return (inputs) => {
      let h: Tensor = concatFields(inputs, mainFilter); // [B, D]
      if (norm) h = norm(h, inputs.scenario);
      layers.forEach((layer, i) => {
        h = layer(h, inputs);
        if (i < layers.length - 1) h = maybeDropout(activate(h, cfg.activation), cfg.dropout);
      });
      const auxLogit = auxNet(concatFields(inputs, auxFilter)); // [B, 1]
      return { logit: squeeze(add(h, auxLogit), 1), aux: {} };
    };
  },
});
