// M2M — Zhang, Cao, Liao, Feng, Tan, Wu, Yang, Chen, Liu, Jin, "Leaving No One Behind: A Multi-Scenario
// Multi-Task Meta Learning Approach for Advertiser Modeling", WSDM 2022; here with one task (CTR):
//   E_i = expert_i(e), i = 1..K                                        expert views  [B, K, m]
//   z   = MLP_z(e_sp)                                                   scenario knowledge representation [·, m]
//   MetaUnit_z(x) = act(W(z) x + b(z)),  W(z) = reshape(P_w z + p_w),  b(z) = P_b z + p_b
//   a_i = vᵀ MetaUnit_z([E_i ; t]),  α = softmax(a),  R = Σ_i α_i E_i     meta attention
//   h_0 = R,  h_{l+1} = act(MetaUnit_z^{(l)}(h_l) + h_l), l < L          meta tower (residual)
//   logit = MLP_out(h_L)
// Deviations and choices: the paper encodes behaviour sequences with a Transformer; CTR rows here have no
// sequences, so the experts are MLPs over the concatenated shared fields. With a single task the task
// embedding t is one learned vector. The meta units are `hyperLinear` in `full` mode, generated once per
// scenario and gathered when e_sp is the scenario embedding alone (exactly per-sample generation).
// Defaults follow the Scenario-Wise-Rec ML benchmark (4 experts of 16, output MLP [64, 32], leaky ReLU).
import { z } from 'zod';
import { add, concat, matmul, mul, param, softmax, squeeze, type Tensor } from '../engine/index.js';
import { defineModel } from './model.js';
import { concatFields, fieldsWidth, sharedFilter } from './layers/embedding.js';
import { mix } from './layers/gate.js';
import { hyperLinear } from './layers/hyper-linear.js';
import { activate, activationSchema, dropoutSchema, hiddenSchema, mlp } from './layers/mlp.js';
import { generatesPerScenario, generationSchema, specificInput } from './layers/specific-input.js';

const config = z.strictObject({
  num_experts: z.number().int().positive().default(4).describe('K expert views'),
  expert_dim: z.number().int().positive().default(16).describe('m: size of each expert output, z, t and the meta tower'),
  expert_hidden: hiddenSchema.default([]).describe('hidden sizes of each expert before its m-sized output layer'),
  tower_layers: z.number().int().min(0).default(2).describe('L residual meta-unit layers in the meta tower'),
  output_hidden: hiddenSchema.default([64, 32]).describe('hidden sizes of the output MLP after the meta tower'),
  hyper_generation: generationSchema.default('auto').describe('auto: generate meta units once per scenario when exact'),
  activation: activationSchema.default('leaky_relu').describe('activation of experts, meta units and output MLP'),
  dropout: dropoutSchema.default(0).describe('dropout in the output MLP'),
});

export const m2m = defineModel({
  name: 'm2m',
  description: 'M2M: expert views, meta attention and a meta tower generated from the scenario representation',
  search: { num_experts: [2, 4, 8], expert_dim: [8, 16, 32], output_hidden: [[32], [64, 32], [128, 64]], dropout: [0, 0.1, 0.2] },
  config,
  grouped: (cfg, ctx) => generatesPerScenario(cfg.hyperGeneration, 'full', ctx),
  build(cfg, ctx) {
    const m = cfg.expertDim;
    const shFilter = sharedFilter(ctx);
    const specific = specificInput(ctx, cfg.hyperGeneration);
    const act = cfg.activation;

    const experts = mlp('experts', fieldsWidth(ctx.fields, shFilter), {
      hidden: [...cfg.expertHidden, m], activation: act,
    }, { experts: cfg.numExperts });
    const scenarioMlp = mlp('scenario', specific.width, { hidden: [m], activation: act });
    const task = param('task_embedding', [m], { kind: 'normal', std: 0.1 });
    const attention = hyperLinear('meta_attention', { inDim: 2 * m, outDim: 2 * m, condDim: m, mode: 'full', rank: 1 });
    const v = param('meta_attention.v', [2 * m, 1], { kind: 'xavier_uniform' });
    const tower = Array.from({ length: cfg.towerLayers }, (_, l) =>
      hyperLinear(`meta_tower.${l}`, { inDim: m, outDim: m, condDim: m, mode: 'full', rank: 1 }));
    const output = mlp('output', m, { hidden: cfg.outputHidden, activation: act, dropout: cfg.dropout, outputDim: 1 });

    return (inputs) => {
      const rows = specific.rows(inputs);
      const cond = rows.conditioning(scenarioMlp(rows.eSp)); // z = MLP_z(e_sp), [S | B, m]
      const views = experts(concatFields(inputs, shFilter)); // [B, K, m]
      const withTask = concat([views, add(mul(views, 0), task)], 2); // [B, K, 2m]: t beside every view
      const scores = squeeze(matmul(activate(attention(withTask, cond), act), v), 2); // [B, K]
      let h: Tensor = mix(softmax(scores, -1), views); // R, [B, m]
      for (const unit of tower) h = activate(add(unit(h, cond), h), act);
      return { logit: squeeze(output(h), 1), aux: {} };
    };
  },
});
