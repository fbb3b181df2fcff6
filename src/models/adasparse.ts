// AdaSparse — Yang, Peng, Wei, Liu, Wang, Zheng, "AdaSparse: Learning Adaptively Sparse Structures for
// Multi-Domain Click-Through Rate Prediction", CIKM 2022 (arXiv 2206.13108). A DNN whose neurons a
// domain-aware pruner weights per sample (e_d = the scenario-specific fields, e_a = the others):
//   v^l = W^l_p [e_d ; h^l]                                            the pruner of layer l (no bias)    [B, n_l]
//   binarization: π^l = 1[σ(α v^l) ≥ ε]                     (gradient straight through σ(α v^l))
//   scaling:      π^l = β σ(v^l)
//   fusion:       π^l = β σ(α v^l) · 1[β σ(α v^l) ≥ ε]      (scaled factors, the small ones pruned)
//   h^0 = [e_d ; π^0 ⊙ e_a],  h^(l+1) = π^(l+1) ⊙ Dropout(ReLU(BN(W^l h^l)))
//   logit = w h^L + b
//   α ← α + Δα every training step (the sigmoid sharpens towards the step function)
//   sparsity regulariser:  r^l = 1 − mean(π^l ≠ 0),  L_s = Σ_l max(0, r_min − r^l) + max(0, r^l − r_max)
//   L = BCE + λ_s L_s
// Ambiguities and choices: the pruner weights every layer's input including the agnostic embeddings (not the
// domain embedding itself). The hard indicator 1[·] passes its gradient straight through σ(α v) (binarization)
// or σ(α v) = π / β (fusion), so the sparsity ratio r^l, a count of zeros, is trainable through L_s; scaling
// prunes nothing and has no L_s. The interval [r_min, r_max] is the "flexible" part of the regulariser: the
// model may choose any sparsity inside it. `pruned` (the mean r^l) is reported, not added to the loss. α is
// a buffer that moves once per training step (saved with the run); each step uses its new value, inference the
// last one.
import { z } from 'zod';
import {
  add, assignBuffer, buffer, cast, concat, greater, isTraining, mul, reduceMean, relu, sigmoid, squeeze, stopGradient, sub,
  type Tensor,
} from '../engine/index.js';
import { defineModel } from './model.js';
import { concatFields, fieldsWidth, sharedFilter, specificFilter } from './layers/embedding.js';
import { activationSchema, dropoutSchema, hiddenSchema, linear, mlp, normSchema } from './layers/mlp.js';

const config = z.strictObject({
  hidden: hiddenSchema.min(1).default([32, 32]).describe('hidden sizes of the DNN'),
  form: z.enum(['binarization', 'scaling', 'fusion']).default('fusion').describe('form of the weighting factors'),
  epsilon: z.number().min(0).default(1e-2).describe('ε: factors below it are pruned (binarization, fusion)'),
  beta: z.number().positive().default(2).describe('β: range (0, β) of the scaling and fusion factors'),
  alpha: z.number().positive().default(1).describe('α at the start of training'),
  delta_alpha: z.number().min(0).default(1e-4).describe('Δα: increase of α per training step'),
  sparsity_lambda: z.number().min(0).default(1e-2).describe('λ_s: weight of the sparsity regulariser'),
  sparsity_min: z.number().min(0).max(1).default(0).describe('r_min: lower end of the wanted sparsity ratio'),
  sparsity_max: z.number().min(0).max(1).default(0.5).describe('r_max: upper end of the wanted sparsity ratio'),
  norm: normSchema.default('batch').describe('normalisation after each hidden linear layer'),
  activation: activationSchema.default('relu').describe('activation of the hidden layers'),
  dropout: dropoutSchema.default(0.2).describe('dropout after each hidden layer'),
});

type Form = z.infer<typeof config>['form'];

/** Forward value `hard`, gradient of `soft`. */
const straightThrough = (hard: Tensor, soft: Tensor) => add(soft, stopGradient(sub(hard, soft)));

/** The weighting factors π and, where neurons are pruned, the kept-neuron indicator (gradient through σ). */
function weightingFactors(v: Tensor, form: Form, alpha: Tensor, beta: number, epsilon: number): { pi: Tensor; kept: Tensor | null } {
  if (form === 'scaling') return { pi: mul(sigmoid(v), beta), kept: null };
  const soft = sigmoid(mul(v, alpha)); // σ(α v)
  const kept = straightThrough(cast(greater(mul(soft, form === 'fusion' ? beta : 1), epsilon), 'float32'), soft);
  if (form === 'binarization') return { pi: kept, kept };
  return { pi: mul(mul(soft, beta), stopGradient(kept)), kept };
}

export const adasparse = defineModel({
  name: 'adasparse',
  description: 'AdaSparse: a domain-aware pruner weights (and prunes) the neurons of every layer',
  search: { hidden: [[32, 32], [64, 64], [128, 64]], form: ['binarization', 'scaling', 'fusion'], sparsity_lambda: [1e-3, 1e-2, 1e-1], dropout: [0, 0.1, 0.2] },
  config,
  build(cfg, ctx) {
    const dFilter = specificFilter(ctx);
    const aFilter = sharedFilter(ctx);
    const dDim = fieldsWidth(ctx.fields, dFilter);
    const aDim = fieldsWidth(ctx.fields, aFilter);
    const dims = [dDim + aDim, ...cfg.hidden];
    const inputPruner = linear('pruner.input', dDim + aDim, aDim, {}, false);
    const layers = cfg.hidden.map((units, l) => ({
      dense: mlp(`dnn.${l}`, dims[l], { hidden: [units], norm: cfg.norm, activation: cfg.activation, dropout: cfg.dropout }),
      pruner: linear(`pruner.${l}`, dDim + units, units, {}, false),
    }));
    const output = linear('dnn.out', dims[dims.length - 1], 1);
    const alphaState = buffer('alpha', [1], { kind: 'constant', value: cfg.alpha });

    return (inputs) => {
      let alpha = alphaState;
      if (isTraining()) {
        alpha = add(alphaState, cfg.deltaAlpha);
        assignBuffer(alphaState, alpha);
      }
      const eD = concatFields(inputs, dFilter); // [B, D_d]
      const eA = concatFields(inputs, aFilter); // [B, D_a]
      const kept: Tensor[] = [];
      const weighted = (pruner: (x: Tensor) => Tensor, h: Tensor) => {
        const factors = weightingFactors(pruner(concat([eD, h], 1)), cfg.form, alpha, cfg.beta, cfg.epsilon);
        if (factors.kept) kept.push(factors.kept);
        return mul(factors.pi, h);
      };
      let h = concat([eD, weighted(inputPruner, eA)], 1); // h^0, [B, D_d + D_a]
      for (const { dense, pruner } of layers) h = weighted(pruner, dense(h)); // [B, n_l]

      const aux: Record<string, { value: Tensor; weight: number }> = {};
      if (kept.length > 0) {
        const ratios = kept.map((k) => sub(1, reduceMean(k, [0, 1]))); // r^l
        const outside = ratios.map((r) => add(relu(sub(cfg.sparsityMin, r)), relu(sub(r, cfg.sparsityMax))));
        aux.sparsity = { value: outside.reduce((a, b) => add(a, b)), weight: cfg.sparsityLambda };
        aux.pruned = { value: mul(ratios.reduce((a, b) => add(a, b)), 1 / ratios.length), weight: 0 };
      }
      return { logit: squeeze(output(h), 1), aux };
    };
  },
});
