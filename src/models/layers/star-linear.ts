// STAR's star-topology fully connected layer (Sheng et al., CIKM 2021, eq. 3): the scenario's weights are the
// element-wise product of shared and specific weights, W_s* = W ⊙ W_s, and the bias their sum, b_s* = b + b_s.
// The product is formed per scenario ([S, in, out], cheap) and then routed to the samples (per scenario group
// of a sorted batch, or gathered).
// W_s starts at ones and b_s at zeros, so training starts from the shared network (two independently
// initialised factors would shrink the product's scale to the square of Xavier's).
import { add, mul, param, scope, type Tensor } from '../../engine/index.js';
import { route, routedMatmul, type RoutedLayer, type Routing } from './scenario-params.js';

export function starLinear(name: string, numScenarios: number, inDim: number, outDim: number): RoutedLayer {
  const p = scope(name, () => ({
    w: param('weight', [inDim, outDim], { kind: 'xavier_uniform' }),
    b: param('bias', [outDim], { kind: 'zeros' }),
    wS: param('scenario_weight', [numScenarios, inDim, outDim], { kind: 'ones' }),
    bS: param('scenario_bias', [numScenarios, outDim], { kind: 'zeros' }),
  }));
  const apply = (x: Tensor, routing: Routing): Tensor =>
    add(routedMatmul(x, mul(p.wS, p.w), routing), route(add(p.bS, p.b), routing.scenario)); // [B, out]
  return Object.assign(apply, { outDim });
}
