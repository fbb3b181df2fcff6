// The reference model of ../shared/design/engine.md, shared by the PyTorch parity test and the engine
// benchmark: 20 fields x 16 -> 320 -> 256 -> 128 (ReLU); z = ReLU(128 -> 64); a hypernetwork
// Linear(16 -> 64*32) on field 0's embedding gives a per-sample Wd [B, 64, 32]; u = ReLU(z Wd);
// logit = w3 h2 + wu u; mean BCE with logits. Params are declared in torch_reference.py's order, so theta
// differs from torch's flat vector only in the weight layout ([in, out] here, [out, in] in torch).
import type { GraphSpec, ParamSpec } from './compile.js';
import { add, bceWithLogits, linearOp, matmul, reduceMean, relu, reshape, sigmoid, slice, squeeze, unsqueeze } from './ops/index.js';
import { input, param } from './trace.js';
import type { Tensor } from './tensor.js';

export const REFERENCE_SIZES = { fields: 20, dim: 16, h1: 256, h2: 128, z: 64, t: 32 } as const;

/**
 * A build function for compile(): inputs 'E' [B, 320] (gathered embeddings, field-major) and 'label' [B];
 * outputs 'logit' and 'probability'; gradInputs ['E']. `vocab` is the embedding table's row count, which the
 * dense graph does not depend on; it is accepted so callers describe the whole model in one place.
 */
export function buildReferenceModel(vocab: number): () => GraphSpec {
  if (!(vocab > 0)) throw new RangeError('vocab must be positive');
  const { fields, dim, h1, h2, z: zDim, t } = REFERENCE_SIZES;
  const linear = (name: string, inDim: number, outDim: number, bias = true) => {
    const w = param(`${name}.weight`, [inDim, outDim], { kind: 'xavier_uniform' });
    const b = bias ? param(`${name}.bias`, [outDim], { kind: 'zeros' }) : undefined;
    return (x: Tensor) => linearOp(x, w, b);
  };
  return () => {
    const e = input('E', ['B', fields * dim]);
    const label = input('label', ['B']);
    const l1 = linear('l1', fields * dim, h1);
    const l2 = linear('l2', h1, h2);
    const lz = linear('lz', h2, zDim);
    const lh = linear('lh', dim, zDim * t);
    const w3 = linear('w3', h2, 1);
    const wu = linear('wu', t, 1, false);
    const hidden = relu(l2(relu(l1(e)))); // [B, 128]
    const z = relu(lz(hidden)); // [B, 64]
    const wd = reshape(lh(slice(e, 1, 0, dim)), ['B', zDim, t]); // [B, 64, 32]
    const u = relu(squeeze(matmul(unsqueeze(z, 1), wd), 1)); // [B, 32]
    const logit = squeeze(add(w3(hidden), wu(u)), 1); // [B]
    return {
      loss: reduceMean(bceWithLogits(logit, label), [0]),
      outputs: { logit, probability: sigmoid(logit) },
      gradInputs: ['E'],
    };
  };
}

function relayout(params: readonly ParamSpec[], theta: Float32Array, toTorch: boolean): Float32Array {
  const out = new Float32Array(theta.length);
  for (const p of params) {
    if (p.shape.length !== 2) {
      out.set(theta.subarray(p.offset, p.offset + p.size), p.offset);
      continue;
    }
    // ours [in, out] row-major; torch [out, in] row-major.
    const [rows, cols] = toTorch ? p.shape : [p.shape[1], p.shape[0]];
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[p.offset + c * rows + r] = theta[p.offset + r * cols + c];
  }
  return out;
}

/** Our theta (or a gradient in its layout) to torch_reference.py's flat order: 2-D weights transposed. */
export function thetaToTorch(params: readonly ParamSpec[], theta: Float32Array): Float32Array {
  return relayout(params, theta, true);
}

/** torch_reference.py's flat vector to our theta layout. */
export function thetaFromTorch(params: readonly ParamSpec[], flat: Float32Array): Float32Array {
  return relayout(params, flat, false);
}
