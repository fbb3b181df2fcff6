// Layers whose weights are generated from a conditioning vector c (OptMSM's scenario-specific hypernetwork,
// M2M's meta unit). Modes, for x of size n_in → n_out:
//   decomposed  y = U (G(c) (V x)) + b(c), G(c) = I + reshape(P c + p0) (k × k): a shared rank-k layer whose
//               core is generated. The identity offset makes the layer start as a plain shared U V layer.
//   full        y = W(c) x + b(c), W(c) = reshape(P c + p0) (n_out × n_in); p0 is the shared base weight.
//   scale       y = (W x) ⊙ 2σ(Q c + q0) + b: a generated gain on a shared layer (gain 1 at q0 = 0, Q c = 0).
// The generator is affine (P c + p0); p0 is what every scenario shares.
// Conditioning is per sample ([B, h]) or per scenario ([S, h] + the scenario ids): in the second case the
// parameters are generated S times and routed to the samples (a generated matrix is applied per scenario group
// when the batch is sorted by scenario, else gathered), which gives the same result as per-sample generation.
import {
  add, concat, constant, groupedMatmul, linearOp, matmul, mul, param, reshape, scope, sigmoid, slice, squeeze, unsqueeze,
  type Tensor,
} from '../../engine/index.js';
import { z } from 'zod';
import { route } from './scenario-params.js';

export const hyperModeSchema = z.enum(['decomposed', 'full', 'scale']);
export type HyperMode = z.infer<typeof hyperModeSchema>;

export type Conditioning =
  | { kind: 'per_sample'; c: Tensor /* [B, h] */ }
  | { kind: 'per_scenario'; c: Tensor /* [S, h] */; scenario: Tensor /* int32 [B] */; groups: Tensor | null /* int32 [S + 1] */ };

export interface HyperLinearOptions {
  inDim: number;
  outDim: number;
  condDim: number;
  mode: HyperMode;
  /** k of the decomposed mode. */
  rank: number;
}

/** Generated tensor [N, ...] (N = B or S) → the sample's own [B, ...]. */
function perSample(generated: Tensor, cond: Conditioning): Tensor {
  return cond.kind === 'per_scenario' ? route(generated, cond.scenario) : generated;
}

/**
 * x [B, in] or [B, T, in] @ the sample's generated w [N, in, out] (N = B per sample, S per scenario): per scenario
 * group when the rows are sorted by scenario (one Gemm per group, T of them for 3-D x), else gathered and batched.
 */
function generatedMatmul(x: Tensor, w: Tensor, cond: Conditioning): Tensor {
  const flat = x.shape.length === 2;
  if (cond.kind === 'per_sample' || !cond.groups) {
    return flat ? squeeze(matmul(unsqueeze(x, 1), perSample(w, cond)), 1) : matmul(x, perSample(w, cond));
  }
  const groups = cond.groups;
  if (flat) return groupedMatmul(x, w, groups);
  const T = x.shape[1] as number;
  const rows = (t: number) => unsqueeze(groupedMatmul(squeeze(slice(x, 1, t, t + 1), 1), w, groups), 1);
  return concat([...Array(T).keys()].map(rows), 1);
}

/** x [B, in] @ the sample's generated w [N, in, out] (N = B per sample, S per scenario) → [B, out]. */
export function generatedProduct(x: Tensor, w: Tensor, cond: Conditioning): Tensor {
  return generatedMatmul(x, w, cond);
}

/** I_k as a constant [k, k]: generated cores start as the identity (a shared layer) and learn a departure. */
export function identity(k: number): Tensor {
  const eye = new Float32Array(k * k);
  for (let i = 0; i < k; i += 1) eye[i * k + i] = 1;
  return constant(eye, [k, k]);
}

export type HyperLayer = ((x: Tensor, cond: Conditioning) => Tensor) & { readonly outDim: number };

/** x [B, n_in] or [B, T, n_in] → [B, n_out] or [B, T, n_out], with parameters generated from c. */
export function hyperLinear(name: string, options: HyperLinearOptions): HyperLayer {
  const { inDim, outDim, condDim, mode, rank } = options;
  const baseStd = Math.sqrt(2 / (inDim + outDim));
  // Generator weights start small against the shared part so that training starts from a shared layer.
  const genStd = (std: number) => ({ kind: 'normal' as const, std: std / Math.sqrt(condDim) });
  // x is [B, in] or [B, T, in]; a per-sample vector [B, out] broadcasts over T as [B, 1, out]. 2-D inputs stay
  // 2-D, so that the shared products are Gemms rather than batched products with T = 1.
  const overT = (x: Tensor, v: Tensor) => (x.shape.length === 2 ? v : unsqueeze(v, 1));
  const apply = scope(name, (): ((x: Tensor, cond: Conditioning) => Tensor) => {
    // b(c) = P_b c + b0, for the two modes that generate their bias.
    const generatedBias = () => {
      const pb = param('bias_generator', [condDim, outDim], genStd(0.1));
      const pb0 = param('bias', [outDim], { kind: 'zeros' });
      return (x: Tensor, cond: Conditioning) => overT(x, perSample(linearOp(cond.c, pb, pb0), cond)); // [B, (1,) out]
    };
    switch (mode) {
      case 'decomposed': {
        const v = param('v', [inDim, rank], { kind: 'xavier_uniform' });
        const u = param('u', [rank, outDim], { kind: 'xavier_uniform' });
        const p = param('core_generator', [condDim, rank * rank], genStd(0.1));
        const p0 = param('core', [rank * rank], { kind: 'zeros' });
        const eye = identity(rank);
        const bias = generatedBias();
        return (x, cond) => {
          const core = add(reshape(linearOp(cond.c, p, p0), [cond.c.shape[0], rank, rank]), eye); // [N, k, k]
          const projected = generatedMatmul(matmul(x, v), core, cond); // [B, (T,) k]
          return add(matmul(projected, u), bias(x, cond)); // [B, (T,) out]
        };
      }
      case 'full': {
        const p = param('weight_generator', [condDim, inDim * outDim], genStd(0.1 * baseStd));
        const p0 = param('weight', [inDim * outDim], { kind: 'normal', std: baseStd });
        const bias = generatedBias();
        return (x, cond) => {
          const w = reshape(linearOp(cond.c, p, p0), [cond.c.shape[0], inDim, outDim]); // [N, in, out]
          return add(generatedMatmul(x, w, cond), bias(x, cond));
        };
      }
      case 'scale': {
        const w = param('weight', [inDim, outDim], { kind: 'xavier_uniform' });
        const q = param('gain_generator', [condDim, outDim], genStd(0.1));
        const q0 = param('gain', [outDim], { kind: 'zeros' });
        const b = param('bias', [outDim], { kind: 'zeros' });
        return (x, cond) => {
          const gain = overT(x, perSample(mul(sigmoid(linearOp(cond.c, q, q0)), 2), cond)); // [B, (1,) out]
          return add(mul(matmul(x, w), gain), b);
        };
      }
    }
  });
  return Object.assign(apply, { outDim });
}
