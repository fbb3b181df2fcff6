// SAR-Net — Shen, Tao, Zhang, Wen, Chen, Lu, "SAR-Net: A Scenario-Aware Ranking Network for Personalized Fair
// Recommendation in Hundreds of Travel Scenarios", CIKM 2021 (arXiv 2110.06475). For a sample of scenario s
// (x = every field, [B, D]):
//   scenario-specific linear transformation:  x' = w_s ⊙ x + b_s                                       [B, D]
//   debias expert network:  shared experts E^sh_k(x'), k = 1..K_sh, and scenario s's experts E^s_j(x'),
//     j = 1..K_sp;  g = softmax(W_g,s x' + b_g,s) over the K_sh + K_sp experts of the sample
//     z = Σ_k g_k E_k(x')                                                                               [B, m]
//   logit = MLP(z)
// With a behaviour sequence (a `sequence` field pooled by attention, e.g. the user's earlier items), its pooled
// vector is part of x and comes from the scenario-specific transfer attention:
//   e'_j = u_s ⊙ e_j + c_s,  v' = u_s ⊙ v + c_s              behaviours and target moved into scenario s   [B, L, d]
//   interest = Σ_j m_j a_j e'_j,  a_j = MLP([e'_j ; v' ; e'_j − v' ; e'_j ⊙ v'])      (layers/attention.ts)
// Without a sequence field in the data (ML-100k's reference config has none) there is no attention branch.
// Choices: w_s, u_s start at ones and b_s, c_s at zeros (the transformations start as the identity); the gate is
// per scenario (the paper's multi-scenario gating) and reads x'. The paper's two attention modules (behaviours
// against the scenario features, and against the target item) are one unit here whose inputs are the behaviours
// and the target both transferred into the sample's scenario. The Fairness Coefficient re-weighting of the
// experts needs the promotion-intervention (bias) features of Fliggy's logs and is not modelled.
import { z } from 'zod';
import { add, concat, mul, param, scope, squeeze, unsqueeze, type Tensor } from '../engine/index.js';
import { defineModel } from './model.js';
import { attentionShape, sequenceMask, targetAttention } from './layers/attention.js';
import { allFields, concatFields, fieldsWidth } from './layers/embedding.js';
import { mix, scenarioGate } from './layers/gate.js';
import { activationSchema, dropoutSchema, hiddenSchema, mlp } from './layers/mlp.js';
import { route } from './layers/scenario-params.js';

const config = z.strictObject({
  shared_experts: z.number().int().positive().default(8).describe('K_sh: scenario-shared debias experts'),
  specific_experts: z.number().int().positive().default(2).describe('K_sp: debias experts of each scenario'),
  expert_hidden: hiddenSchema.min(1).default([16]).describe('hidden sizes of each expert (the last is m)'),
  hidden: hiddenSchema.default([32, 32]).describe('hidden sizes of the MLP after the experts'),
  activation: activationSchema.default('relu').describe('activation of experts and MLP'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
  ...attentionShape,
});

export const sarNet = defineModel({
  name: 'sar-net',
  description: 'SAR-Net: scenario-specific transformation, shared and scenario-specific debias experts under a scenario gate',
  search: { shared_experts: [4, 8, 12], expert_hidden: [[16], [32], [64]], hidden: [[32], [32, 32], [64, 64]], dropout: [0, 0.1, 0.2] },
  config,
  grouped: () => true,
  sequencePool(cfg, ctx, field) {
    const d = field.embeddingDim;
    return scope(`transfer_attention.${field.name}`, () => {
      const u = param('weight', [ctx.numScenarios, d], { kind: 'ones' });
      const c = param('bias', [ctx.numScenarios, d], { kind: 'zeros' });
      const unit = targetAttention('unit', d, { hidden: cfg.attentionHidden, activation: cfg.attentionActivation, normalize: cfg.attentionNormalize });
      return (keys, target, routing) => {
        const [us, cs] = [route(u, routing.scenario), route(c, routing.scenario)]; // [B, d]
        const transfer = (x: Tensor) => add(mul(x, us), cs);
        const moved = add(mul(keys, unsqueeze(us, 1)), unsqueeze(cs, 1)); // e'_j, [B, L, d]
        return unit(moved, transfer(target), sequenceMask(keys)); // [B, d]
      };
    });
  },
  build(cfg, ctx) {
    const S = ctx.numScenarios;
    const inDim = fieldsWidth(ctx.fields, allFields);
    const block = { hidden: cfg.expertHidden, activation: cfg.activation, dropout: cfg.dropout };
    const w = param('transform.weight', [S, inDim], { kind: 'ones' });
    const b = param('transform.bias', [S, inDim], { kind: 'zeros' });
    const shared = mlp('experts.shared', inDim, block, { experts: cfg.sharedExperts });
    const specific = mlp('experts.specific', inDim, block, { scenarios: S, experts: cfg.specificExperts });
    const gate = scenarioGate('gate', S, inDim, cfg.sharedExperts + cfg.specificExperts);
    const head = mlp('mlp', shared.outDim, { hidden: cfg.hidden, activation: cfg.activation, dropout: cfg.dropout, outputDim: 1 });

    return (inputs) => {
      const x = concatFields(inputs, allFields); // [B, D]
      const xs = add(mul(route(w, inputs.scenario), x), route(b, inputs.scenario)); // x' = w_s ⊙ x + b_s
      const experts = concat([shared(xs), specific(xs, inputs)], 1); // [B, K_sh + K_sp, m]
      const z = mix(gate(xs, inputs), experts); // [B, m]
      return { logit: squeeze(head(z), 1), aux: {} };
    };
  },
});
