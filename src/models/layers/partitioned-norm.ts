// Normalisation with batch statistics. `partitionedNorm` is STAR's partitioned normalisation (Sheng et al.,
// CIKM 2021, eq. 2): each scenario's samples are normalised with that scenario's own batch mean and variance
// (oneHot-weighted means, no masking of S copies), each scenario keeps its own running averages for inference,
// and the affine transform is shared ⊙ specific: y = (γ·γ_s) x̂ + (β + β_s).
// Running averages move only for scenarios present in the batch; the running variance is the unbiased one
// (as torch's BatchNorm). `batchNorm` is the single-partition case for MLP layers (biased running variance,
// because the batch size is symbolic in the graph).
import {
  add, assignBuffer, buffer, div, gather, greater, isTraining, matmul, maximum, mul, oneHot, param,
  reduceMean, reduceSum, scope, sqrt, sub, transpose, unsqueeze, where, type Tensor,
} from '../../engine/index.js';

export interface NormOptions {
  momentum?: number; // weight of the new batch in the running average
  eps?: number;
}

/**
 * Batch normalisation of x [B, n], or of K experts' x [K, B, n] (options.experts = K: statistics and affine
 * terms per expert, over axis 1).
 */
export function batchNorm(name: string, dim: number, options: NormOptions & { experts?: number } = {}): (x: Tensor) => Tensor {
  const { momentum = 0.1, eps = 1e-5, experts } = options;
  const shape = experts === undefined ? [dim] : [experts, 1, dim];
  const axis = experts === undefined ? 0 : 1;
  const { gamma, beta, runningMean, runningVar } = scope(name, () => ({
    gamma: param('gamma', shape, { kind: 'ones' }),
    beta: param('beta', shape, { kind: 'zeros' }),
    runningMean: buffer('running_mean', shape, { kind: 'zeros' }),
    runningVar: buffer('running_var', shape, { kind: 'ones' }),
  }));
  return (x) => {
    let mean = runningMean;
    let variance = runningVar;
    if (isTraining()) {
      mean = reduceMean(x, [axis], experts !== undefined); // [n] | [K, 1, n]
      variance = reduceMean(mul(sub(x, mean), sub(x, mean)), [axis], experts !== undefined);
      assignBuffer(runningMean, add(mul(runningMean, 1 - momentum), mul(mean, momentum)));
      assignBuffer(runningVar, add(mul(runningVar, 1 - momentum), mul(variance, momentum)));
    }
    const xHat = div(sub(x, mean), sqrt(add(variance, eps)));
    return add(mul(xHat, gamma), beta);
  };
}

export interface PartitionedNormOptions extends NormOptions {
  /** Learn the shared γ, β (default true). */
  sharedAffine?: boolean;
  /** Learn the per-scenario γ_s, β_s (default true). */
  specificAffine?: boolean;
}

export function partitionedNorm(
  name: string, dim: number, numScenarios: number, options: PartitionedNormOptions = {},
): (x: Tensor, scenario: Tensor) => Tensor {
  const { momentum = 0.1, eps = 1e-5, sharedAffine = true, specificAffine = true } = options;
  const S = numScenarios;
  const p = scope(name, () => ({
    gamma: sharedAffine ? param('gamma', [dim], { kind: 'ones' }) : null,
    beta: sharedAffine ? param('beta', [dim], { kind: 'zeros' }) : null,
    gammaS: specificAffine ? param('scenario_gamma', [S, dim], { kind: 'ones' }) : null,
    betaS: specificAffine ? param('scenario_beta', [S, dim], { kind: 'zeros' }) : null,
    runningMean: buffer('running_mean', [S, dim], { kind: 'zeros' }),
    runningVar: buffer('running_var', [S, dim], { kind: 'ones' }),
  }));
  return (x, scenario) => {
    let xHat: Tensor;
    if (isTraining()) {
      const onehotT = transpose(oneHot(scenario, S), [1, 0]); // [S, B]
      const count = reduceSum(onehotT, [1]); // [S]
      const denom = unsqueeze(maximum(count, 1), 1); // [S, 1]
      const mean = div(matmul(onehotT, x), denom); // [S, n]
      const centred = sub(x, gather(mean, scenario, 0)); // [B, n]
      const variance = div(matmul(onehotT, mul(centred, centred)), denom); // [S, n]
      xHat = div(centred, sqrt(add(gather(variance, scenario, 0), eps)));
      const present = unsqueeze(greater(count, 0), 1); // bool [S, 1]
      const unbiased = mul(variance, div(unsqueeze(count, 1), maximum(sub(unsqueeze(count, 1), 1), 1)));
      const blend = (old: Tensor, batch: Tensor) => where(present, add(mul(old, 1 - momentum), mul(batch, momentum)), old);
      assignBuffer(p.runningMean, blend(p.runningMean, mean));
      assignBuffer(p.runningVar, blend(p.runningVar, unbiased));
    } else {
      const mean = gather(p.runningMean, scenario, 0); // [B, n]
      const variance = gather(p.runningVar, scenario, 0);
      xHat = div(sub(x, mean), sqrt(add(variance, eps)));
    }
    // Combine the affine terms per scenario ([S, n], cheap) before routing them to the samples.
    const gammaS = p.gammaS && p.gamma ? mul(p.gammaS, p.gamma) : p.gammaS;
    const betaS = p.betaS && p.beta ? add(p.betaS, p.beta) : p.betaS;
    let y = xHat;
    if (gammaS) y = mul(y, gather(gammaS, scenario, 0));
    else if (p.gamma) y = mul(y, p.gamma);
    if (betaS) y = add(y, gather(betaS, scenario, 0));
    else if (p.beta) y = add(y, p.beta);
    return y;
  };
}
