// OptMSM's K shared information encoders z_k = g_k(e_sh) and their gated mixture Σ_k a_k z_k. Each g_k is an
// MLP whose last layer is linear (`hidden` sizes before it; `hidden: []` makes g_k one linear layer), all K
// stacked (weights [K, ·, ·], the names and layout of mlp.ts's experts stack).
// With at most one hidden layer two cheaper forms of the same values exist:
//   - the first layer of all K is one wide Gemm e_sh · [W¹_1 … W¹_K], H = act(...) [B, K·h] side by side;
//   - when the gate depends on the scenario only (a per scenario, [S, K]) and the rows are sorted by scenario,
//     the mixture is linear in the K last layers: Σ_k a_sk (h_k W_k + b_k) = H · [a_s1 W_1 ; … ; a_sK W_K] +
//     Σ_k a_sk b_k, one Gemm per scenario group, without forming the K outputs z_k (H = e_sh, h = D_sh, for
//     linear encoders).
// Deeper encoders are the stacked MLP, mixed per sample. With `sharedHidden` the hidden layers are one body that
// all K read, and the K encoders are linear heads on it (the linear case on the body's output); with `skip` too the
// heads read [e_sh ; body(e_sh)], a linear path and a nonlinear one that still fold per scenario.
import { add, concat, groupedMatmul, linearOp, matmul, mul, param, reshape, scope, transpose, type Tensor } from '../../engine/index.js';
import { mix } from './gate.js';
import { activate, maybeDropout, mlp, type Activation } from './mlp.js';
import { route, type Routing } from './scenario-params.js';

export interface SharedEncoderOptions {
  hidden: readonly number[];
  outDim: number;
  activation: Activation;
  dropout: number;
  /** The hidden layers are one MLP all K share; only the last (linear) layers are K. */
  sharedHidden?: boolean;
  /** With sharedHidden: the K heads read the input beside the body's output. */
  skip?: boolean;
}

/** The gate of the mixture: [B, K] per sample, or [S, K] per scenario with the rows' routing. */
export type MixtureGate = { kind: 'per_sample'; a: Tensor } | { kind: 'per_scenario'; a: Tensor; routing: Routing };

export interface SharedEncoders {
  /** z_k for every k: [B, K, m]. */
  all(x: Tensor): Tensor;
  /** Σ_k a_k z_k: [B, m]. */
  mixture(x: Tensor, gate: MixtureGate): Tensor;
  /** The first layer's weights [K, in, ·] (the parameter form of the orthogonality loss reads them). */
  readonly firstWeights: Tensor;
}

const perSample = (gate: MixtureGate) => (gate.kind === 'per_sample' ? gate.a : route(gate.a, gate.routing.scenario)); // [B, K]

export function sharedEncoders(name: string, count: number, inDim: number, options: SharedEncoderOptions): SharedEncoders {
  const { hidden, outDim, activation, dropout } = options;
  const K = count;
  if (options.sharedHidden && hidden.length > 0) {
    // K linear heads on one shared body: the mixture still folds into one matrix per scenario.
    const body = mlp(`${name}.body`, inDim, { hidden, activation, dropout });
    const heads = sharedEncoders(name, K, body.outDim + (options.skip ? inDim : 0), { hidden: [], outDim, activation, dropout });
    const input = (x: Tensor) => (options.skip ? concat([x, body(x)], 1) : body(x));
    return { all: (x) => heads.all(input(x)), mixture: (x, gate) => heads.mixture(input(x), gate), firstWeights: heads.firstWeights };
  }
  if (hidden.length > 1) {
    const stacked = mlp(name, inDim, { hidden, outputDim: outDim, activation, dropout }, { experts: K });
    return { all: stacked, mixture: (x, gate) => mix(perSample(gate), stacked(x)), firstWeights: stacked.weights[0] };
  }
  const layer = (label: string, n: number, units: number) => scope(label, () => [
    param('weight', [K, n, units], { kind: 'xavier_uniform' }),
    param('bias', [K, 1, units], { kind: 'zeros' }),
  ] as const);
  const [first, out] = scope(name, () => {
    const h = hidden.length === 1 ? layer('0', inDim, hidden[0]) : null;
    return [h, layer('out', h ? hidden[0] : inDim, outDim)] as const;
  });
  const h = hidden[0] ?? inDim; // width of each encoder's input to its last layer
  // [K, n, u] → [n, K·u]: the K matrices side by side, for an input that all K share.
  const wide = (w: Tensor, n: number, u: number) => reshape(transpose(w, [1, 0, 2]), [n, K * u]);
  /** H [B, K·h]: each encoder's input to its last layer, side by side (e_sh itself, once, for linear encoders). */
  const features = (x: Tensor): Tensor => {
    if (!first) return x;
    const [w, b] = first;
    return maybeDropout(activate(add(linearOp(x, wide(w, inDim, h)), reshape(b, [K * h])), activation), dropout);
  };
  const [w, b] = out;
  const all = (x: Tensor): Tensor => {
    const H = features(x);
    if (!first) return add(reshape(linearOp(H, wide(w, inDim, outDim)), ['B', K, outDim]), reshape(b, [K, outDim]));
    const perEncoder = transpose(reshape(H, ['B', K, h]), [1, 0, 2]); // [K, B, h]
    return transpose(add(matmul(perEncoder, w), b), [1, 0, 2]); // [B, K, m]
  };
  return {
    all,
    mixture(x, gate) {
      const H = features(x);
      if (gate.kind === 'per_scenario' && gate.routing.groups) {
        const S = gate.a.shape[0] as number;
        // Σ_k a_sk W_k for linear encoders (the K share the input); [a_s1 W_1 ; … ; a_sK W_K] after a hidden layer.
        const folded = first
          ? reshape(mul(reshape(gate.a, [S, K, 1]), reshape(w, [1, K, h * outDim])), [S, K * h, outDim])
          : reshape(matmul(gate.a, reshape(w, [K, inDim * outDim])), [S, inDim, outDim]);
        const bias = matmul(gate.a, reshape(b, [K, outDim])); // [S, m]
        return add(groupedMatmul(H, folded, gate.routing.groups), route(bias, gate.routing.scenario));
      }
      return mix(perSample(gate), all(x));
    },
    firstWeights: first ? first[0] : w,
  };
}
