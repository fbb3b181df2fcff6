// PPNet — the parameter-personalisation half of PEPNet (Chang et al., KDD 2023; see pepnet.ts), registered on
// its own so that a bench can name it: pepnet with `variant: ppnet_only`:
//   δ^(l) = GateNU^(l)([O_prior ; ⊘(E)]),  H^(l+1) = f((δ^(l) ⊗ H^(l)) W^(l) + b^(l)),  H^(0) = E
// O_prior = the personal fields (user and item ids by default). Same parameters and numbers as pepnet.ppnet-only.
import { defineModel } from './model.js';
import { pepnet, pepnetConfig, pepnetSearch } from './pepnet.js';

export const ppnet = defineModel({
  name: 'ppnet',
  description: 'PPNet (PEPNet half): GateNUs from the personal fields scale every hidden layer',
  search: pepnetSearch,
  config: pepnetConfig.omit({ variant: true }),
  build: (cfg, ctx) => pepnet.build({ ...cfg, variant: 'ppnet_only' }, ctx),
});
