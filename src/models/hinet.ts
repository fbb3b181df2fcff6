// HiNet — Zhou, Cao, Li, Bo, Zhang, Luo, Yu, "HiNet: Novel Multi-Scenario & Multi-Task Learning
// with Hierarchical Information Extraction", ICDE 2023 (arXiv 2303.06095); one task (CTR) here.
// Scenario extraction layer, for a sample of scenario i (x = every field, [B, D]):
//   scenario-shared:    G^sh = Σ_k g^sh_k(x) E^sh_k(x)                 K_sh shared experts, one gate   [B, m]
//   scenario-specific:  S^j  = Σ_k g^j_k(x) E^j_k(x)                   scenario j's experts and gate   [B, m]
//   SAN:                A^i  = Σ_(j≠i) w_j S^j,  w = softmax_(j≠i)(W_a e_i + b_a)   e_i: the scenario embedding
//   C^i = [G^sh ; S^i ; A^i]                                                                              [B, 3m]
// Task extraction layer (CGC), one task: T = Σ_k g^t_k(C^i) E^t_k(C^i)                                   [B, m_t]
//   logit = tower(T)
// Choices: with a single task, CGC's task-specific and task-shared experts are one pool of `task_experts`
// experts under one gate. SAN by construction reads every scenario's specific experts (A^i mixes the other
// scenarios' S^j for the sample): with `san: true` the S·n specific experts and the S gates run on every
// sample as one stacked matmul and S^i is the own-scenario row of that stack. `san: false` drops A^i, and the
// specific experts and gates are then routed (each sample meets only its own scenario's).
import { z } from 'zod';
import { concat, equal, matmul, oneHot, reshape, softmax, squeeze, unsqueeze, where, type Tensor } from '../engine/index.js';
import { defineModel } from './model.js';
import { allFields, concatFields, fieldsWidth, namedFilter, scenarioFieldName } from './layers/embedding.js';
import { gate, mix, scenarioGate } from './layers/gate.js';
import { activationSchema, dropoutSchema, hiddenSchema, linear, mlp } from './layers/mlp.js';

const config = z.strictObject({
  shared_experts: z.number().int().positive().default(2).describe('K_sh: scenario-shared experts'),
  specific_experts: z.number().int().positive().default(2).describe('experts of each scenario'),
  expert_hidden: hiddenSchema.min(1).default([64]).describe('hidden sizes of each scenario expert (the last is m)'),
  san: z.boolean().default(true).describe('the scenario-aware attentive network over the other scenarios'),
  task_experts: z.number().int().positive().default(2).describe('experts of the task extraction layer'),
  task_expert_hidden: hiddenSchema.min(1).default([32]).describe('hidden sizes of each task expert (the last is m_t)'),
  tower_hidden: hiddenSchema.default([16]).describe('hidden sizes of the task tower'),
  activation: activationSchema.default('relu').describe('activation of experts and tower'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
});

export const hinet = defineModel({
  name: 'hinet',
  description: 'HiNet: scenario extraction (shared, specific, scenario-aware attention) then task extraction',
  search: { shared_experts: [1, 2, 4], expert_hidden: [[32], [64], [128]], tower_hidden: [[8], [16], [32]], dropout: [0, 0.1, 0.2] },
  config,
  grouped: (cfg) => !cfg.san,
  build(cfg, ctx) {
    const S = ctx.numScenarios;
    const n = cfg.specificExperts;
    const inDim = fieldsWidth(ctx.fields, allFields);
    const m = cfg.expertHidden[cfg.expertHidden.length - 1];
    const expert = { hidden: cfg.expertHidden, activation: cfg.activation, dropout: cfg.dropout };
    const san = cfg.san && S > 1;
    const scenarioFilter = namedFilter([scenarioFieldName(ctx)]);

    const sharedExperts = mlp('scenario_shared.experts', inDim, expert, { experts: cfg.sharedExperts });
    const sharedGate = gate('scenario_shared.gate', inDim, cfg.sharedExperts);
    // With SAN every scenario's specific network runs on the sample: S·n experts and S gates, stacked.
    const allSpecific = san ? {
      experts: mlp('scenario_specific.experts', inDim, expert, { experts: S * n }),
      gates: linear('scenario_specific.gates', inDim, n, { experts: S }),
      attention: linear('san', fieldsWidth(ctx.fields, scenarioFilter), S),
    } : null;
    const ownSpecific = san ? null : {
      experts: mlp('scenario_specific.experts', inDim, expert, { scenarios: S, experts: n }),
      gate: scenarioGate('scenario_specific.gate', S, inDim, n),
    };
    const cDim = (san ? 3 : 2) * m;
    const taskExperts = mlp('task.experts', cDim, { ...expert, hidden: cfg.taskExpertHidden }, { experts: cfg.taskExperts });
    const taskGate = gate('task.gate', cDim, cfg.taskExperts);
    const tower = mlp('tower', taskExperts.outDim, { ...expert, hidden: cfg.towerHidden, outputDim: 1 });

    return (inputs) => {
      const x = concatFields(inputs, allFields); // [B, D]
      const gShared = mix(sharedGate(x), sharedExperts(x)); // G^sh, [B, m]
      let parts: Tensor[];
      if (allSpecific) {
        const experts = reshape(allSpecific.experts(x), ['B', S, n, m]); // E^j_k(x), [B, S, n, m]
        const g = softmax(allSpecific.gates(x), -1); // g^j(x), [B, S, n]
        const specific = squeeze(matmul(unsqueeze(g, 2), experts), 2); // S^j for every j, [B, S, m]
        const own = oneHot(inputs.scenario, S); // [B, S]
        const scores = allSpecific.attention(concatFields(inputs, scenarioFilter)); // [B, S]
        const w = softmax(where(equal(own, 1), -1e9, scores), -1); // over j ≠ i
        parts = [gShared, mix(own, specific), mix(w, specific)]; // [G^sh ; S^i ; A^i]
      } else {
        const own = ownSpecific!;
        parts = [gShared, mix(own.gate(x, inputs), own.experts(x, inputs))]; // [G^sh ; S^i]
      }
      const c = concat(parts, 1); // C^i, [B, cDim]
      const t = mix(taskGate(c), taskExperts(c)); // T, [B, m_t]
      return { logit: squeeze(tower(t), 1), aux: {} };
    };
  },
});
