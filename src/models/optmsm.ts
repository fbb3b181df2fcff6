// OptMSM — Tang, Qiao, Fu, Lyu, Liu, He, "OptMSM: Optimizing Multi-Scenario Modeling for Click-Through Rate
// Prediction", ECML-PKDD 2023, arXiv 2306.13382. Only the abstract is public; this file follows the project's
// reading of it, ../shared/design/optmsm-model.md (docs/models.md), step by step:
//   partition   F_sp = scenario field ∪ fields marked specific;  F_sh = the rest
//   (1) h_sp  = ReLU(W_sp e_sp + b_sp)                                   [B, m]
//   (3) z_k   = g_k(e_sh), k = 1..K, linear maps by default (a stacked MLP with hidden layers) [B, K, m]
//   (4) L_orth = mean_b Σ_{k<l} cos(z_k, z_l)²        (representation)
//            or Σ_{k<l} ||W_k W_lᵀ||_F² over the g_k's first layers   (parameter)   or none
//   (5) r = [h_sp ; Σ_k softmax(W_g h_sp + b_g)_k z_k]  (gate)  | [h_sp ; z_s(x)] (own, K = S) | [h_sp ; z_1..z_K] (concat)
//   (6) logit = tower(r) + tower'_s(x)(r): a shared tower and a per-scenario correction   (prediction: residual, the default)
//       [× g_s on the shared logit with residual_gain], or logit = tower_s(x)(r), one MLP per scenario (prediction: towers)
//       or SSH: c = ReLU(W_c h_sp + b_c) [; e_scenario]; tower layer 1 shared on r, the `generate`d layers from c
//   L = BCE + λ_orth L_orth
// The paper's prediction module is SSH; on the evaluation suite's validation splits a shared tower with
// per-scenario corrections did better than per-scenario towers, and both better than SSH (docs/models.md,
// "What issue 9 changed"), so it is the default and SSH is `prediction: hyper`.
// Choices the abstract leaves open (each a config key): the generated core of `decomposed` is I + P c + p0
// so that SSH starts as a shared tower; MLP_sp and MLP_c carry no dropout because they are evaluated once per
// scenario when F_sp = {scenario field} — that path (`hyper_generation: auto`) computes h_sp, the gate and c
// for the S scenarios and gathers them, and is exactly per-sample generation (a test proves it).
import { z } from 'zod';
import {
  concat, div, matmul, mul, oneHot, reduceMean, reduceSum, reshape, sqrt, sub, transpose, add,
  type Tensor,
} from '../engine/index.js';
import { OptmsmError } from '../errors.js';
import { defineModel } from './model.js';
import { concatFields, fieldsWidth, sharedFilter } from './layers/embedding.js';
import { gate, mix } from './layers/gate.js';
import { sshShape } from './layers/hyper-tower.js';
import { activationSchema, dropoutSchema, hiddenSchema, mlp, normSchema } from './layers/mlp.js';
import { sharedEncoders } from './layers/shared-encoders.js';
import { predictionModule } from './layers/prediction.js';
import { scenarioCode, specificInput, specificIsScenarioOnly } from './layers/specific-input.js';

const config = z.strictObject({
  repr_dim: z.number().int().positive().default(32).describe('m: size of h_sp and of each shared information embedding z_k'),
  num_shared: z.number().int().positive().nullable().default(null).describe('K shared information embeddings; null = S'),
  encoder_hidden: hiddenSchema.nullable().default([]).describe('hidden sizes of each g_k ([] = linear); null = [2m]'),
  encoder_shared_hidden: z.boolean().default(false)
    .describe("the g_k's hidden layers are one MLP they share, their last layers K linear heads on it (the parameter orthogonality reads the heads)"),
  encoder_skip: z.boolean().default(false)
    .describe("with encoder_shared_hidden: the K heads read e_sh beside the body's output, a linear path plus a nonlinear one"),
  orth: z.enum(['representation', 'parameter', 'none']).default('parameter').describe('orthogonality constraint on the z_k'),
  lambda_orth: z.number().min(0).default(1e-2).describe('weight of L_orth in the loss'),
  combine: z.enum(['gate', 'own', 'concat']).default('gate').describe('how h_sp and the z_k form r'),
  prediction: z.enum(['hyper', 'towers', 'residual']).default('residual')
    .describe('one ordinary tower per scenario on r, a shared tower plus a correction tower per scenario, or SSH (the paper)'),
  tower_hidden: hiddenSchema.min(1).default([128, 64]).describe('H_1..H_L of each scenario tower (or of the shared or the SSH tower)'),
  residual_hidden: hiddenSchema.default([64]).describe('hidden sizes of the per-scenario correction towers (prediction: residual)'),
  residual_gain: z.boolean().default(false).describe("a learned gain per scenario on the shared tower's logit, starting at 1 (prediction: residual)"),
  scenario_code: z.number().int().min(0).default(16)
    .describe('d_q: a learned code per scenario joins e_sp, so h_sp, the gate and c tell scenarios apart from the first step; 0 = none'),
  scenario_code_std: z.number().positive().default(1).describe('σ_q: the code is drawn N(0, σ_q²), how far apart the scenarios start'),
  condition: z.enum(['specific', 'scenario']).default('scenario')
    .describe('what the gate and the hypernetwork read: h_sp (every field of F_sp) or h_s = MLP_s([e_scenario ; q_s]) (the scenario alone, per scenario)'),
  hyper_scenario_embedding: z.boolean().default(false).describe('concatenate the scenario embedding to c'),
  ...sshShape,
  activation: activationSchema.default('relu').describe('activation of encoders and towers'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer of the encoders and towers'),
  norm: normSchema.default('none').describe('normalisation in the towers (prediction: towers or residual)'),
});

/** mean_b Σ_{k<l} cos(z_k, z_l)² for z [B, K, m]. */
export function orthRepresentation(z: Tensor): Tensor {
  const unit = div(z, sqrt(add(reduceSum(mul(z, z), [2], true), 1e-12))); // [B, K, m]
  const cos = matmul(unit, transpose(unit, [0, 2, 1])); // [B, K, K]
  const all = reduceSum(mul(cos, cos), [1, 2]); // [B]
  const selfCos = reduceSum(mul(unit, unit), [2]); // [B, K], ≈ 1
  const diagonal = reduceSum(mul(selfCos, selfCos), [1]); // [B]
  return reduceMean(div(sub(all, diagonal), 2), [0]);
}

/** Σ_{k<l} ||W_k W_lᵀ||_F² with W_k the (out × in) first-layer weights; w is stored [K, in, out]. */
export function orthParameter(w: Tensor): Tensor {
  const [K, inDim, outDim] = w.shape as number[];
  const rows = reshape(transpose(w, [0, 2, 1]), [K * outDim, inDim]); // stacked W_k, [K·out, in]
  const gram = matmul(rows, transpose(rows, [1, 0])); // blocks W_k W_lᵀ
  const blocks = matmul(transpose(w, [0, 2, 1]), w); // W_k W_kᵀ, [K, out, out]
  const offDiagonal = sub(reduceSum(mul(gram, gram), [0, 1]), reduceSum(mul(blocks, blocks), [0, 1, 2]));
  return div(offDiagonal, 2);
}

export const optmsm = defineModel({
  name: 'optmsm',
  description: 'OptMSM: scenario-enhanced learning (shared/specific partition, orthogonal shared embeddings) + a shared tower with per-scenario corrections, per-scenario towers or SSH',
  // encoder_hidden, not repr_dim: on ML-100k's validation m = 32/64/128 gave 0.7798/0.7796/0.7793, encoders [64] 0.7876 (docs/models.md).
  search: { encoder_hidden: [[], [64], [128]], tower_hidden: [[64], [128, 64], [256, 128]], lambda_orth: [0.001, 0.01, 0.1], dropout: [0, 0.1, 0.2] },
  config,
  // Routed weights: towers, or generated matrices per scenario (F_sp = {scenario}, or the gate and c read the scenario alone).
  grouped: (cfg, ctx) => cfg.prediction !== 'hyper' || (cfg.hyperGeneration === 'auto' && cfg.hyperMode !== 'scale'
    && (cfg.condition === 'scenario' || specificIsScenarioOnly(ctx))),
  build(cfg, ctx) {
    const S = ctx.numScenarios;
    const m = cfg.reprDim;
    const K = cfg.numShared ?? S;
    if (cfg.combine === 'own' && K !== S) {
      throw new OptmsmError('E_MODEL_CONFIG', `optmsm: combine 'own' needs one shared embedding per scenario`, {
        location: 'model.num_shared', expected: `num_shared = ${S} (the number of scenarios) or null`, found: String(K),
      });
    }
    if (cfg.encoderSkip && !(cfg.encoderSharedHidden && (cfg.encoderHidden ?? [2 * m]).length > 0)) {
      throw new OptmsmError('E_MODEL_CONFIG', 'optmsm: encoder_skip is a path beside the shared encoder body', {
        location: 'model.encoder_skip', expected: 'encoder_shared_hidden: true with a hidden layer in encoder_hidden', found: 'no shared body',
      });
    }
    const shFilter = sharedFilter(ctx);
    // h_sp, the gate and c are functions of e_sp: per scenario ([S, ·]) when e_sp is the scenario embedding alone.
    const code = cfg.scenarioCode > 0 ? scenarioCode('specific', S, cfg.scenarioCode, cfg.scenarioCodeStd) : undefined;
    const specific = specificInput(ctx, cfg.hyperGeneration, { code });
    // condition 'scenario' with context fields in F_sp: the gate and c read the scenario alone, h_s [S, m].
    const scenarioInput = cfg.condition === 'scenario' && !specificIsScenarioOnly(ctx)
      ? specificInput(ctx, cfg.hyperGeneration, { code, scenarioOnly: true }) : null;
    const act = { activation: cfg.activation, dropout: cfg.dropout };

    const mlpSp = mlp('specific', specific.width, { hidden: [m] });
    const mlpS = scenarioInput ? mlp('scenario', scenarioInput.width, { hidden: [m] }) : null;
    const encoders = sharedEncoders('shared', K, fieldsWidth(ctx.fields, shFilter), {
      hidden: cfg.encoderHidden ?? [2 * m], outDim: m, ...act, sharedHidden: cfg.encoderSharedHidden, skip: cfg.encoderSkip,
    });
    const gateK = cfg.combine === 'gate' ? gate('gate', m, K) : null;
    const rDim = m + (cfg.combine === 'concat' ? K * m : m);
    // SSH: c = MLP_c(h_sp) [; e_scenario]; or per-scenario towers.
    const predict = predictionModule('tower', ctx, rDim, cfg, { sourceDim: m, scenarioEmbedding: cfg.hyperScenarioEmbedding });

    return (inputs) => {
      const { scenario } = inputs;
      const spRows = specific.rows(inputs);
      const hSpN = mlpSp(spRows.eSp); // h_sp [N, m]: per scenario when F_sp = {scenario}, else per sample
      const hSp = spRows.toSamples(hSpN); // [B, m]
      // What the gate and c read: h_sp, or (condition 'scenario' with context fields) h_s [S, m].
      const rows = scenarioInput ? scenarioInput.rows(inputs) : spRows;
      const hCond = mlpS ? mlpS(rows.eSp) : hSpN;
      const eSh = concatFields(inputs, shFilter); // [B, D_sh]

      const aux: Record<string, { value: Tensor; weight: number }> = {};
      if (cfg.orth === 'parameter') aux.orth = { value: orthParameter(encoders.firstWeights), weight: cfg.lambdaOrth };
      let zMixed: Tensor; // [B, ·]
      if (gateK && cfg.orth !== 'representation') {
        // Only Σ_k a_k z_k is needed: the encoders form it per scenario when the gate is per scenario.
        const a = gateK(hCond); // [N, K]
        zMixed = encoders.mixture(eSh, (scenarioInput ?? specific).perScenario ? { kind: 'per_scenario', a, routing: inputs } : { kind: 'per_sample', a });
      } else {
        const zShared = encoders.all(eSh); // [B, K, m]
        if (cfg.orth === 'representation') aux.orth = { value: orthRepresentation(zShared), weight: cfg.lambdaOrth };
        if (gateK) zMixed = mix(rows.toSamples(gateK(hCond)), zShared);
        else if (cfg.combine === 'own') zMixed = mix(oneHot(scenario, S), zShared);
        else zMixed = reshape(zShared, ['B', K * m]);
      }
      const r = concat([hSp, zMixed], 1); // [B, rDim]

      return { logit: predict(r, inputs, { rows, x: hCond }), aux };
    };
  },
});
