// PLE — Tang, Liu, Zhao, Gong, "Progressive Layered Extraction (PLE): A Novel Multi-Task Learning (MTL) Model
// for Personalized Recommendations", RecSys 2020; scenarios play the role of tasks. Level j (CGC):
//   E_s^j = scenario-specific experts of scenario s, E_sh^j = shared experts     [B, n_s | n_sh, m]
//   g_s^j(x) = softmax(W_s^j x_s^{j-1}) over [E_s^j ; E_sh^j];  x_s^j = Σ g_s^j · [E_s^j ; E_sh^j]
//   x_sh^j = Σ softmax(W_sh^j x_sh^{j-1}) · [E_s^j ; E_sh^j ; ...]                (levels before the last)
//   y = tower_s(x_s^J)
// Ambiguity: in PLE the shared gate of an intermediate level mixes the experts of every task. Every sample
// here belongs to one scenario, so it mixes the sample's own scenario's experts and the shared experts —
// computing the other scenarios' experts for it would be the S-fold work this project avoids.
// Defaults follow the Scenario-Wise-Rec ML benchmark (1 level, 2 specific + 1 shared expert of [16], towers [8]).
import { z } from 'zod';
import { concat, type Tensor } from '../engine/index.js';
import { defineModel } from './model.js';
import { allFields, concatFields, fieldsWidth } from './layers/embedding.js';
import { gate, mix, scenarioGate } from './layers/gate.js';
import { activationSchema, dropoutSchema, hiddenSchema, mlp, normSchema } from './layers/mlp.js';
import { predictionModule, predictionShape } from './layers/prediction.js';

const config = z.strictObject({
  num_levels: z.number().int().positive().default(1).describe('number of CGC levels'),
  specific_experts: z.number().int().positive().default(2).describe('experts per scenario at each level'),
  shared_experts: z.number().int().positive().default(1).describe('shared experts at each level'),
  expert_hidden: hiddenSchema.min(1).default([16]).describe('hidden sizes of each expert (the last is its output)'),
  ...predictionShape([8]),
  activation: activationSchema.default('relu').describe('activation of experts and towers'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
  norm: normSchema.default('none').describe('normalisation in the per-scenario towers'),
});

export const ple = defineModel({
  name: 'ple',
  description: 'PLE: multi-level CGC with scenario-specific and shared experts, one tower per scenario',
  search: { shared_experts: [1, 2, 4], expert_hidden: [[16], [64], [128, 64]], tower_hidden: [[8], [32], [64, 32]], dropout: [0, 0.1, 0.2] },
  config,
  grouped: () => true,
  build(cfg, ctx) {
    const S = ctx.numScenarios;
    const nAll = cfg.specificExperts + cfg.sharedExperts;
    const expertOptions = { hidden: cfg.expertHidden, activation: cfg.activation, dropout: cfg.dropout };
    let inDim = fieldsWidth(ctx.fields, allFields);
    const levels = Array.from({ length: cfg.numLevels }, (_, j) => {
      const isLast = j === cfg.numLevels - 1;
      const level = {
        specific: mlp(`level${j}.specific`, inDim, expertOptions, { scenarios: S, experts: cfg.specificExperts }),
        shared: mlp(`level${j}.shared`, inDim, expertOptions, { experts: cfg.sharedExperts }),
        scenarioGate: scenarioGate(`level${j}.scenario_gate`, S, inDim, nAll),
        sharedGate: isLast ? null : gate(`level${j}.shared_gate`, inDim, nAll),
      };
      inDim = cfg.expertHidden[cfg.expertHidden.length - 1];
      return level;
    });
    const predict = predictionModule('tower', ctx, inDim, cfg);
    return (inputs) => {
      const e = concatFields(inputs, allFields); // [B, D]
      let xSpecific: Tensor = e;
      let xShared: Tensor = e;
      for (const level of levels) {
        const experts = concat([level.specific(xSpecific, inputs), level.shared(xShared)], 1); // [B, n_s + n_sh, m]
        const nextSpecific = mix(level.scenarioGate(xSpecific, inputs), experts); // [B, m]
        if (level.sharedGate) xShared = mix(level.sharedGate(xShared), experts);
        xSpecific = nextSpecific;
      }
      return { logit: predict(xSpecific, inputs), aux: {} };
    };
  },
});
