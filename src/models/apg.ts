// APG — Yan, Wang, Zhang, Li, Deng, Xu, Zheng, "APG: Adaptive Parameter Generation Network for
// Click-Through Rate Prediction", NeurIPS 2022 (arXiv 2203.16218). A DNN whose hidden layers have parameters
// generated per instance from a condition z:
//   z = condition:  scenario (e_sp, the scenario-specific fields)  |  input (e, every field)  |  self (h^l)
//   low_rank:  h^(l+1) = act(U^l S^l(z) V^l h^l + b^l),  S^l(z) = I + reshape(G^l(z)) [K, K]    U [out, K], V [K, in]
//              computed as ((h V) S) U (the paper's decomposed feed-forward: in·K + K² + K·out per sample)
//   full:      h^(l+1) = act(W^l(z) h^l + b^l),  W^l(z) = W0 + reshape(G^l(z)) [in, out]        (no decomposition)
//   over-parameterisation (P > K): U = U_1 U_2, V = V_1 V_2 with inner size P, trained as factors and equal to
//              one K-rank matrix at inference (the product is formed in the graph; it is weight-sized, not per sample)
//   G^l(z) = W_g2 act(W_g1 z + b_g1) + b_g2                                                      the generator MLP
//   logit = w_out h^L + b_out
// Initialisation (the paper gives none): S(z) = I_K + G^l(z) and W(z) = W0 + G^l(z) (W0 shared, Xavier), i.e. the
// generator's output bias starts at vec(I) or at a Xavier draw rather than at zero, so each layer starts as a
// shared layer U V (or W0) that the generated part then adjusts. With a zero start the generated layers output 0
// for every input while the embeddings are near zero; the network then only learns through the push that a
// logit far from the base rate gives, and with `train.prior` (logit starting at the base rate) APG did not learn
// at all on ML-100k (test AUC 0.519, loss constant from epoch 1).
// Ambiguities and choices: the generator is a one-hidden-layer MLP per layer; U and V are shared by all
// instances (the paper's "shared parameters" variant: common patterns in U, V, instance patterns in S), b is
// shared. With condition `scenario` and F_sp = {scenario field}, S(z) has one value per scenario: it is generated
// once per scenario and applied per scenario group of the sorted batch (exactly per-instance generation; see
// layers/specific-input.ts). The output layer is an ordinary linear layer.
import { z } from 'zod';
import { add, matmul, param, reshape, scope, squeeze, type Tensor } from '../engine/index.js';
import { defineModel, type CamelKeys } from './model.js';
import { allFields, concatFields, fieldsWidth } from './layers/embedding.js';
import { generatedProduct, identity, type Conditioning } from './layers/hyper-linear.js';
import { activate, activationSchema, dropoutSchema, hiddenSchema, linear, maybeDropout, mlp } from './layers/mlp.js';
import { generationSchema, specificInput, type SpecificRows } from './layers/specific-input.js';

const config = z.strictObject({
  hidden: hiddenSchema.min(1).default([128, 64, 32]).describe('hidden sizes of the generated DNN'),
  condition: z.enum(['scenario', 'input', 'self']).default('scenario')
    .describe('z: the scenario-specific fields, every field, or each layer\'s own input (self-wise)'),
  decomposition: z.enum(['low_rank', 'full']).default('low_rank').describe('generate the K×K core S (U S V) or the whole W'),
  rank: z.number().int().positive().default(16).describe('K: size of the generated core'),
  over_parameterization: z.number().int().positive().nullable().default(64)
    .describe('P: inner size of the factors U = U_1 U_2, V = V_1 V_2 (null: plain U, V)'),
  generator_hidden: z.number().int().positive().default(64).describe('hidden size of each generator MLP G^l'),
  hyper_generation: generationSchema.default('auto').describe('auto: generate once per scenario when z depends on the scenario only'),
  activation: activationSchema.default('relu').describe('activation of the hidden layers and of the generators'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
});

type ApgConfig = CamelKeys<z.output<typeof config>>;

/** A weight [rows, cols], or the product of two factors through an inner size P (over-parameterisation). */
function factorised(name: string, rows: number, cols: number, inner: number | null): () => Tensor {
  if (inner === null) {
    const w = param(name, [rows, cols], { kind: 'xavier_uniform' });
    return () => w;
  }
  const [a, b] = [param(`${name}_1`, [rows, inner], { kind: 'xavier_uniform' }), param(`${name}_2`, [inner, cols], { kind: 'xavier_uniform' })];
  return () => matmul(a, b);
}

/** One APG layer: h [B, in] → [B, out] with S(z) or W(z) generated at the rows of the conditioning. */
function apgLayer(name: string, inDim: number, outDim: number, condDim: number, cfg: ApgConfig) {
  const K = cfg.rank;
  return scope(name, () => {
    const generatedSize = cfg.decomposition === 'low_rank' ? K * K : inDim * outDim;
    const generator = mlp('generator', condDim, { hidden: [cfg.generatorHidden], activation: cfg.activation, outputDim: generatedSize });
    const v = cfg.decomposition === 'low_rank' ? factorised('v', inDim, K, cfg.overParameterization) : null;
    const u = cfg.decomposition === 'low_rank' ? factorised('u', K, outDim, cfg.overParameterization) : null;
    const b = param('bias', [outDim], { kind: 'zeros' });
    // Where the generated part starts: I for the core S, a shared Xavier W0 for the whole W.
    const base = cfg.decomposition === 'low_rank' ? identity(K) : param('base', [inDim, outDim], { kind: 'xavier_uniform' });
    return (h: Tensor, z: Tensor, cond: Conditioning): Tensor => {
      const N = z.shape[0];
      if (!u || !v) return add(generatedProduct(h, add(reshape(generator(z), [N, inDim, outDim]), base), cond), b); // (W0 + G(z)) h + b
      const core = add(reshape(generator(z), [N, K, K]), base); // S(z) = I + G(z), [N, K, K]
      return add(matmul(generatedProduct(matmul(h, v()), core, cond), u()), b); // ((h V) S) U + b, [B, out]
    };
  });
}

export const apg = defineModel({
  name: 'apg',
  description: 'APG: a DNN whose layers are generated per instance (low-rank U S(z) V, over-parameterised factors)',
  search: { hidden: [[64, 32], [128, 64, 32], [256, 128, 64]], rank: [8, 16, 32], generator_hidden: [32, 64, 128], dropout: [0, 0.1, 0.2] },
  config,
  grouped: (cfg, ctx) => cfg.condition === 'scenario' && specificInput(ctx, cfg.hyperGeneration).perScenario,
  build(cfg, ctx) {
    const specific = specificInput(ctx, cfg.hyperGeneration);
    const inDim = fieldsWidth(ctx.fields, allFields);
    const dims = [inDim, ...cfg.hidden];
    const condDim = (l: number) => (cfg.condition === 'scenario' ? specific.width : cfg.condition === 'input' ? inDim : dims[l]);
    const layers = cfg.hidden.map((units, l) => apgLayer(`dnn.${l}`, dims[l], units, condDim(l), cfg));
    const output = linear('dnn.out', dims[dims.length - 1], 1);

    return (inputs) => {
      const e = concatFields(inputs, allFields); // [B, D]
      const rows: SpecificRows | null = cfg.condition === 'scenario' ? specific.rows(inputs) : null;
      let h = e;
      layers.forEach((layer) => {
        // z at the rows of its conditioning: [S | B, ·] for the scenario condition, [B, ·] otherwise.
        const z = rows ? rows.eSp : cfg.condition === 'input' ? e : h;
        const cond: Conditioning = rows ? rows.conditioning(z) : { kind: 'per_sample', c: z };
        h = maybeDropout(activate(layer(h, z, cond), cfg.activation), cfg.dropout);
      });
      return { logit: squeeze(output(h), 1), aux: {} };
    };
  },
});
