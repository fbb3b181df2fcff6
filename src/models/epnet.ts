// EPNet — the embedding-personalisation half of PEPNet (Chang et al., KDD 2023; see pepnet.ts), registered on
// its own so that a bench can name it: pepnet with `variant: epnet_only`:
//   δ_domain = GateNU([E(F_d) ; ⊘(E)]),  O_ep = δ_domain ⊗ E,  logit = DNN(O_ep)
// F_d = the scenario-specific fields (the scenario indicator on ML-100k). Same parameters and numbers as
// pepnet.epnet-only.
import { defineModel } from './model.js';
import { pepnet, pepnetConfig, pepnetSearch } from './pepnet.js';

export const epnet = defineModel({
  name: 'epnet',
  description: 'EPNet (PEPNet half): a GateNU from the scenario fields scales the input embeddings',
  search: pepnetSearch,
  config: pepnetConfig.omit({ variant: true, personal_fields: true }),
  build: (cfg, ctx) => pepnet.build({ ...cfg, variant: 'epnet_only', personalFields: null }, ctx),
});
