// PEPNet — Chang, Zhang, Fu, Zang, Guan, Lu, Hui, Leng, Niu, Song, Gai, "PEPNet: Parameter and Embedding
// Personalized Network for Infusing with Personalized Prior Information", KDD 2023; one task (CTR):
//   GateNU(x) = γ · σ(W_2 ReLU(W_1 x + b_1) + b_2),  γ = 2
//   EPNet:  δ_domain = GateNU([E(F_d) ; ⊘(E)]),  O_ep = δ_domain ⊗ E          E = all field embeddings
//   PPNet:  O_prior = [E(F_u) ; E(F_i) ; ...]  (personalised fields: user and item ids by default)
//           δ^(l) = GateNU^(l)([O_prior ; ⊘(O_ep)]),  H^(l+1) = f((δ^(l) ⊗ H^(l)) W^(l) + b^(l)),  H^(0) = O_ep
//   logit = W_out H^(L) + b_out
// F_d = the scenario-specific fields. ⊘ is stop-gradient. Variants: full, epnet_only (plain DNN on O_ep),
// ppnet_only (O_ep = E). Choice: the PPNet gates scale the input of every hidden layer (H^(0)..H^(L-1)).
import { z } from 'zod';
import { concat, mul, scope, sigmoid, squeeze, stopGradient, type Tensor } from '../engine/index.js';
import { OptmsmError } from '../errors.js';
import { defineModel, type ModelContext, type SearchSpace } from './model.js';
import { allFields, concatFields, fieldsWidth, namedFilter, sharedFilter, specificFilter } from './layers/embedding.js';
import { activate, activationSchema, dropoutSchema, hiddenSchema, linear, maybeDropout, mlp } from './layers/mlp.js';

/** PEPNet's options; `epnet` and `ppnet` register the two halves with the variant fixed (epnet.ts, ppnet.ts). */
export const pepnetConfig = z.strictObject({
  variant: z.enum(['full', 'epnet_only', 'ppnet_only']).default('full').describe('which of EPNet / PPNet to use'),
  hidden: hiddenSchema.min(1).default([128, 64, 32]).describe('hidden sizes of the (PPNet-gated) DNN'),
  gate_hidden: z.number().int().positive().default(64).describe('hidden size of each GateNU'),
  gate_scale: z.number().positive().default(2).describe('γ: the gate range is (0, γ)'),
  personal_fields: z.array(z.string()).nullable().default(null)
    .describe('fields of the personalised prior; null = the first two shared categorical fields'),
  stop_gradient: z.boolean().default(true).describe('⊘ on the embeddings that feed the gates (the paper)'),
  activation: activationSchema.default('relu').describe('activation of the DNN'),
  dropout: dropoutSchema.default(0).describe('dropout after each hidden layer'),
});

function gateNU(name: string, inDim: number, outDim: number, hiddenDim: number, gamma: number): (x: Tensor) => Tensor {
  const hidden = mlp(name, inDim, { hidden: [hiddenDim], outputDim: outDim });
  return (x) => mul(sigmoid(hidden(x)), gamma);
}

function personalFields(names: string[] | null, ctx: ModelContext): string[] {
  const shared = ctx.fields.filter(sharedFilter(ctx)).filter((f) => f.kind === 'categorical');
  const chosen = names ?? shared.slice(0, 2).map((f) => f.name);
  const unknown = chosen.filter((n) => !ctx.fields.some((f) => f.name === n && f.kind !== 'numeric'));
  if (chosen.length === 0 || unknown.length > 0) {
    throw new OptmsmError('E_MODEL_CONFIG', 'pepnet: personal_fields must name embedded fields of the dataset', {
      location: 'model.personal_fields', found: chosen.length ? unknown.join(', ') : '(none)',
      expected: ctx.fields.filter((f) => f.kind !== 'numeric').map((f) => f.name).join(', '),
    });
  }
  return chosen;
}

/** PEPNet's search space, also EPNet's and PPNet's (its halves). */
export const pepnetSearch: SearchSpace<typeof pepnetConfig> = {
  hidden: [[64, 32], [128, 64, 32], [256, 128, 64]], gate_hidden: [32, 64, 128], gate_scale: [1.5, 2, 3], dropout: [0, 0.1, 0.2],
};

export const pepnet = defineModel({
  name: 'pepnet',
  description: 'PEPNet: EPNet gates on embeddings from scenario fields, PPNet gates on hidden layers from personal fields',
  search: pepnetSearch,
  config: pepnetConfig,
  build(cfg, ctx) {
    const useEp = cfg.variant !== 'ppnet_only';
    const usePp = cfg.variant !== 'epnet_only';
    const detach = cfg.stopGradient ? stopGradient : (x: Tensor) => x;
    const eDim = fieldsWidth(ctx.fields, allFields);
    const domainFilter = specificFilter(ctx);
    const priorFilter = usePp ? namedFilter(personalFields(cfg.personalFields, ctx)) : null;
    const gate = (name: string, inDim: number, outDim: number) => gateNU(name, inDim, outDim, cfg.gateHidden, cfg.gateScale);

    const epGate = useEp ? gate('epnet', fieldsWidth(ctx.fields, domainFilter) + eDim, eDim) : null;
    const priorDim = priorFilter ? fieldsWidth(ctx.fields, priorFilter) : 0;
    const dims = [eDim, ...cfg.hidden];
    const layers = scope('dnn', () => cfg.hidden.map((units, l) => ({
      dense: linear(String(l), dims[l], units),
      gate: usePp ? gate(`ppnet.${l}`, priorDim + eDim, dims[l]) : null,
    })));
    const output = linear('dnn.out', dims[dims.length - 1], 1);

    return (inputs) => {
      const e = concatFields(inputs, allFields); // E [B, D]
      const oEp = epGate ? mul(epGate(concat([concatFields(inputs, domainFilter), detach(e)], 1)), e) : e; // [B, D]
      const gateInput = priorFilter ? concat([concatFields(inputs, priorFilter), detach(oEp)], 1) : null;
      let h = oEp;
      for (const { dense, gate: ppGate } of layers) {
        const gated = ppGate && gateInput ? mul(ppGate(gateInput), h) : h;
        h = maybeDropout(activate(dense(gated), cfg.activation), cfg.dropout);
      }
      return { logit: squeeze(output(h), 1), aux: {} };
    };
  },
});
