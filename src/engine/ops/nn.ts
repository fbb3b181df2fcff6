// Network primitives kept whole for numerics or speed (softmax, layerNorm, stable BCE-with-logits), and the
// composites oneHot and dropout. Their VJPs are written with the public ops.
import { type Tensor, normAxis, sameShape } from '../tensor.js';
import { constant, isTraining, maskInput, shapeError } from '../trace.js';
import { add, cast, div, equal, mul, sigmoid, sqrt, sub, neg } from './elementwise.js';
import { type OpDef, apply, defineOp } from './op.js';
import { reduceMean, reduceSum } from './reduce.js';
import { unsqueeze } from './shape.js';

export const nnOps = {
  softmax: defineOp<{ axis: number }>({
    infer: ([x]) => ({ shape: [...x.shape], dtype: 'float32' }),
    emit: (c, n, { axis }) => c.node('Softmax', [c.name(n.inputs[0])], { axis })[0],
    vjp: (g, _, y, { axis }) => [mul(y, sub(g, reduceSum(mul(g, y), [axis], true)))],
  }),
  layerNorm: defineOp<{ eps: number }>({
    infer: ([x]) => ({ shape: [...x.shape], dtype: 'float32' }),
    emit: (c, n, { eps }) => c.node('LayerNormalization', n.inputs.map(c.name), { axis: -1, epsilon: { float: eps } })[0],
    vjp: (g, [x, gamma], _, { eps }) => {
      const xc = sub(x, reduceMean(x, [-1], true));
      const rstd = div(1, sqrt(add(reduceMean(mul(xc, xc), [-1], true), eps)));
      const xhat = mul(xc, rstd);
      const gx = mul(g, gamma);
      const dx = mul(rstd, sub(sub(gx, reduceMean(gx, [-1], true)), mul(xhat, reduceMean(mul(gx, xhat), [-1], true))));
      return [dx, mul(g, xhat), g];
    },
  }),
  bceWithLogits: defineOp({
    infer: (inputs) => {
      const [z, y] = inputs;
      if (!sameShape(z.shape, y.shape) || z.dtype !== 'float32' || y.dtype !== 'float32') throw shapeError('bceWithLogits', inputs, 'float32 logit and label of one shape');
      return { shape: [...z.shape], dtype: 'float32' };
    },
    // max(z, 0) - z*y + log(1 + exp(-|z|)). Log(1 + Exp) rather than Softplus, which has no double kernel
    // (the float64 gradient checks need one); the term is below float32 resolution where 1 + exp rounds.
    emit: (c, n) => {
      const [z, y] = n.inputs.map(c.name);
      const [relu] = c.node('Relu', [z]);
      const [zy] = c.node('Mul', [z, y]);
      const [expNegAbs] = c.node('Exp', c.node('Neg', c.node('Abs', [z])));
      const [soft] = c.node('Log', c.node('Add', [expNegAbs, c.scalar(1, 'float32')]));
      return c.node('Add', [c.node('Sub', [relu, zy])[0], soft])[0];
    },
    vjp: (g, [z, y]) => [mul(g, sub(sigmoid(z), y)), mul(g, neg(z))],
  }),
} satisfies Record<string, OpDef<never>>;

export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis(axis, x.rank);
  if (a < 0 || x.dtype !== 'float32') throw shapeError('softmax', [x], `a float32 tensor and an axis within rank ${x.rank}`, `axis ${axis}`);
  return apply('softmax', nnOps.softmax, [x], { axis: a });
}

/** Normalises over the last axis (the only one supported), then gamma * xhat + beta with gamma, beta [D]. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, axis = -1, eps = 1e-5): Tensor {
  const d = x.shape[x.rank - 1];
  const ok = normAxis(axis, x.rank) === x.rank - 1 && d !== 'B' && [gamma, beta].every((p) => p.rank === 1 && p.shape[0] === d);
  if (!ok || x.dtype !== 'float32') throw shapeError('layerNorm', [x, gamma, beta], 'x [.., D] normalised over its last axis with gamma and beta [D]', `axis ${axis}`);
  return apply('layerNorm', nnOps.layerNorm, [x, gamma, beta], { eps });
}

/** Per element, numerically stable: max(z,0) - z*y + log(1+exp(-|z|)). */
export function bceWithLogits(logit: Tensor, label: Tensor): Tensor {
  return apply('bceWithLogits', nnOps.bceWithLogits, [logit, label], {});
}

export function oneHot(indices: Tensor, depth: number): Tensor {
  if (indices.dtype !== 'int32') throw shapeError('oneHot', [indices], 'int32 indices');
  const range = constant([...Array(depth).keys()], [depth], 'int32');
  return cast(equal(unsqueeze(indices, -1), range), 'float32');
}

/** Training: x * mask / (1 - rate) with a 0/1 mask input the runtime feeds; inference: x. */
export function dropout(x: Tensor, rate: number): Tensor {
  if (!(rate >= 0 && rate < 1)) throw shapeError('dropout', [x], 'a rate in [0, 1)', `rate ${rate}`);
  if (!isTraining() || rate === 0) return x;
  return mul(mul(x, maskInput(x.shape, rate)), 1 / (1 - rate));
}
