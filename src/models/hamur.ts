// HAMUR — Li, Yan, Zhao, Wang, Chen, Guo, Tang, "HAMUR: Hyper Adapter for Multi-Domain Recommendation",
// CIKM 2023 (arXiv 2309.06217). A backbone per domain d (x = every field, [B, D]):
//   h^(l+1) = ReLU(BN_d(W^l_d h^l + b^l_d)),  h^0 = x                       the sample's own domain's MLP
// with adapter cells after the last one (`form: small`) or two (`large`) hidden layers. The shared
// hypernetwork turns the instance into a k × k matrix, and each adapter's weights are U M(x) V:
//   M(x) = reshape(HyperNet(x)) [k, k]                                                          per instance
//   down:  a = σ(h U_1 M(x) V_1 + b^1_d)             U_1 [n, k], V_1 [k, m]                     [B, m]
//   up:    u = a U_2 M(x) V_2 + b^2_d                 U_2 [m, k], V_2 [k, n]                     [B, n]
//   domain norm:  DN_d(u) = γ_d (u − μ_d)/sqrt(σ²_d + ε) + β_d     statistics of domain d's rows
//   h ← h + DN_d(u)                                                                           (skip connection)
//   logit = w_d h^L + b_d
// Choices: the paper's "domain-specific adapter" has generated (shared-hypernetwork) weights; what is held
// per domain here is the adapter's biases and its domain norm (batch statistics of the domain's rows while
// training, running averages at inference, as STAR's partitioned norm). The products are computed
// right to left per sample ((h U) M) V, never forming the n × m matrix. The hypernetwork is an MLP with a linear
// k² output. The backbone's batch norm is per domain too (each domain's network only sees its rows).
import { z } from 'zod';
import { add, matmul, param, reshape, scope, sigmoid, squeeze, unsqueeze, type Tensor } from '../engine/index.js';
import { defineModel } from './model.js';
import { allFields, concatFields, fieldsWidth } from './layers/embedding.js';
import { activationSchema, hiddenSchema, linear, mlp, normSchema } from './layers/mlp.js';
import { partitionedNorm } from './layers/partitioned-norm.js';
import { route, type Routing } from './layers/scenario-params.js';

const config = z.strictObject({
  form: z.enum(['small', 'large']).default('small').describe('small: one adapter cell after the last hidden layer; large: after each of the last two'),
  backbone_hidden: hiddenSchema.min(1).default([256, 128]).describe('hidden sizes of each domain\'s backbone MLP'),
  backbone_norm: normSchema.default('batch').describe('normalisation in the backbone (batch: per-domain statistics)'),
  adapter_dim: z.number().int().positive().default(32).describe('m: the adapter\'s bottleneck size'),
  rank: z.number().int().positive().default(35).describe('k: size of the instance matrix M(x)'),
  hyper_hidden: hiddenSchema.default([64]).describe('hidden sizes of the hypernetwork'),
  activation: activationSchema.default('relu').describe('activation of the backbone and hypernetwork'),
});

/** One adapter cell on h [B, n] of a layer of width n, with weights U M V from the instance matrix M. */
function adapterCell(name: string, n: number, m: number, k: number, S: number) {
  return scope(name, () => {
    const w = (p: string, rows: number, cols: number) => param(p, [rows, cols], { kind: 'xavier_uniform' });
    const [u1, v1, u2, v2] = [w('down.u', n, k), w('down.v', k, m), w('up.u', m, k), w('up.v', k, n)];
    const [b1, b2] = [param('down.bias', [S, m], { kind: 'zeros' }), param('up.bias', [S, n], { kind: 'zeros' })];
    const norm = partitionedNorm('domain_norm', n, S, { sharedAffine: false });
    return (h: Tensor, instance: Tensor, routing: Routing): Tensor => {
      // x U M(x) V, right to left per sample: [B, ·] → [B, k] → [B, k] → [B, ·]
      const uvProduct = (x: Tensor, u: Tensor, v: Tensor) => matmul(squeeze(matmul(unsqueeze(matmul(x, u), 1), instance), 1), v);
      const a = sigmoid(add(uvProduct(h, u1, v1), route(b1, routing.scenario))); // [B, m]
      const up = add(uvProduct(a, u2, v2), route(b2, routing.scenario)); // [B, n]
      return add(h, norm(up, routing.scenario)); // h + DN_d(u)
    };
  });
}

export const hamur = defineModel({
  name: 'hamur',
  description: 'HAMUR: per-domain backbones with adapter cells whose weights a shared hypernetwork generates',
  search: { backbone_hidden: [[128, 64], [256, 128], [512, 256]], adapter_dim: [16, 32, 64], rank: [16, 35, 64], hyper_hidden: [[32], [64], [128]] },
  config,
  grouped: () => true,
  build(cfg, ctx) {
    const S = ctx.numScenarios;
    const k = cfg.rank;
    const inDim = fieldsWidth(ctx.fields, allFields);
    const dims = [inDim, ...cfg.backboneHidden];
    const L = cfg.backboneHidden.length;
    const adapted = new Set(cfg.form === 'small' ? [L - 1] : [L - 2, L - 1].filter((l) => l >= 0));
    const hyper = mlp('hyper', inDim, { hidden: cfg.hyperHidden, activation: cfg.activation, outputDim: k * k });
    const layers = cfg.backboneHidden.map((units, l) => ({
      dense: mlp(`backbone.${l}`, dims[l], { hidden: [units], activation: cfg.activation, norm: cfg.backboneNorm }, { scenarios: S }),
      adapter: adapted.has(l) ? adapterCell(`adapter.${l}`, units, cfg.adapterDim, k, S) : null,
    }));
    const output = linear('backbone.out', dims[L], 1, { scenarios: S });

    return (inputs) => {
      const x = concatFields(inputs, allFields); // [B, D]
      const instance = reshape(hyper(x), ['B', k, k]); // M(x), [B, k, k]
      let h = x;
      for (const { dense, adapter } of layers) {
        h = dense(h, inputs); // [B, n]
        if (adapter) h = adapter(h, instance, inputs);
      }
      return { logit: squeeze(output(h, inputs), 1), aux: {} };
    };
  },
});
