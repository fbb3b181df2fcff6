// M3oE — Zhang, Liu, Yu, Cai, Zhao, Zhang, Liu, Liu, Zhao, Hu, Jiang, Gai, "M3oE: Multi-Domain Multi-Task
// Mixture-of-Experts Recommendation Framework", SIGIR 2024 (arXiv 2404.18465); one task (CTR) here.
// For a sample of domain d (x = every field, [B, D]):
//   shared experts:  E^sh_k(x), k = 1..K;    H^sh = Σ_k g^d_k(x) E^sh_k(x)        domain d's gate   [B, m]
//   domain experts:  E^dom_j(x), j = 1..S;   H^dom = α E^dom_d(x) + (1-α)/(S-1) Σ_(j≠d) E^dom_j(x)   [B, m]
//   task expert:     H^task = E^task(x)                                   (one task: its balance is trivial)
//   fusion:          F = H^sh + w_dom H^dom + w_task H^task                                          [B, m]
//   logit = tower_d(F)                                                    domain d's tower
// α, w_dom, w_task are the AutoML fusion weights: σ(θ) of learned scalars (θ starts at `fusion_init`).
// Choices: the paper searches these weights (DARTS-style); here they are trained with the model on the
// training loss (first-order, no validation data in the loop). Experts are MLPs with layer norm. The domain
// balance reads every domain's expert for every sample by design (the knowledge transfer M3oE is built for):
// those S experts are one stacked matmul; gates and towers are routed.
import { z } from 'zod';
import { add, mul, oneHot, param, sigmoid, squeeze, sub, type Tensor } from '../engine/index.js';
import { defineModel } from './model.js';
import { allFields, concatFields, fieldsWidth } from './layers/embedding.js';
import { mix, scenarioGate } from './layers/gate.js';
import { activationSchema, dropoutSchema, hiddenSchema, mlp, normSchema } from './layers/mlp.js';

const config = z.strictObject({
  shared_experts: z.number().int().positive().default(4).describe('K: shared experts'),
  expert_hidden: hiddenSchema.min(1).default([64, 32]).describe('hidden sizes of every expert (the last is m)'),
  task_expert: z.boolean().default(true).describe('the task-specific expert (one task)'),
  fusion_init: z.number().default(1).describe('θ of α, w_dom and w_task at the start (σ(1) ≈ 0.73)'),
  tower_hidden: hiddenSchema.default([32]).describe('hidden sizes of each domain tower'),
  norm: normSchema.default('layer').describe('normalisation in experts and towers'),
  activation: activationSchema.default('relu').describe('activation of experts and towers'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
});

export const m3oe = defineModel({
  name: 'm3oe',
  description: 'M3oE: shared, domain and task experts fused with learned (AutoML) weights, domain towers',
  search: { shared_experts: [2, 4, 8], expert_hidden: [[32, 16], [64, 32], [128, 64]], tower_hidden: [[16], [32], [64]], dropout: [0, 0.1, 0.2] },
  config,
  grouped: () => true,
  build(cfg, ctx) {
    const S = ctx.numScenarios;
    const inDim = fieldsWidth(ctx.fields, allFields);
    const block = { hidden: cfg.expertHidden, activation: cfg.activation, dropout: cfg.dropout, norm: cfg.norm };
    const shared = mlp('shared_experts', inDim, block, { experts: cfg.sharedExperts });
    const gates = scenarioGate('gates', S, inDim, cfg.sharedExperts);
    const domain = mlp('domain_experts', inDim, block, { experts: S });
    const task = cfg.taskExpert ? mlp('task_expert', inDim, block) : null;
    const fusion = (name: string) => sigmoid(param(name, [1], { kind: 'constant', value: cfg.fusionInit }));
    const balance = fusion('fusion.balance');
    const wDomain = fusion('fusion.domain');
    const wTask = task ? fusion('fusion.task') : null;
    const towers = mlp('towers', shared.outDim, { ...block, hidden: cfg.towerHidden, outputDim: 1 }, { scenarios: S });

    return (inputs) => {
      const x = concatFields(inputs, allFields); // [B, D]
      const hShared = mix(gates(x, inputs), shared(x)); // [B, m]
      const own = oneHot(inputs.scenario, S); // [B, S]
      // α on the own domain, (1 - α)/(S - 1) on each other one.
      const weights = S === 1 ? own : add(mul(own, balance), mul(sub(1, own), mul(sub(1, balance), 1 / (S - 1)))); // [B, S]
      let f: Tensor = add(hShared, mul(mix(weights, domain(x)), wDomain)); // [B, m]
      if (task && wTask) f = add(f, mul(task(x), wTask));
      return { logit: squeeze(towers(f, inputs), 1), aux: {} };
    };
  },
});
