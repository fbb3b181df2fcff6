// Reductions and their helpers: reduceSum is the primitive; reduceMean divides by a count that is a constant
// unless it covers the batch dim. expandAs (the VJP of a reduction) and addN (how autodiff sums the
// gradients of a reused tensor, once) are internal ops.
import { type Dim, type Tensor, broadcastShapes, normAxis, sameShape, staticSize } from '../tensor.js';
import { shapeError } from '../trace.js';
import { type OpDef, apply, defineOp } from './op.js';
import { div } from './elementwise.js';
import { reshape } from './shape.js';

export interface AxesAttrs {
  axes: readonly number[];
  keepDims: boolean;
  [k: string]: readonly number[] | boolean;
}

function reducedShape(x: Tensor, axes: readonly number[], keepDims: boolean): Dim[] {
  return x.shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
}

export const reduceOps = {
  reduceSum: defineOp<AxesAttrs>({
    infer: ([x], { axes, keepDims }) => ({ shape: reducedShape(x, axes, keepDims), dtype: x.dtype }),
    emit: (c, n, { axes, keepDims }) => c.node('ReduceSum', [c.name(n.inputs[0]), c.ints(axes)], { keepdims: +keepDims })[0],
    vjp: (g, [x], _, { axes }) => [expandAs(reshape(g, reducedShape(x, axes, true)), x)],
  }),
  count: defineOp<{ axes: readonly number[] }>({
    infer: () => ({ shape: [], dtype: 'float32' }),
    emit: (c, n, { axes }) => {
      const x = n.inputs[0];
      const dims = axes.map((a) => x.shape[a]);
      if (!dims.includes('B')) return c.scalar(staticSize(dims), 'float32');
      const picked = c.node('Gather', [c.shapeOf(x), c.ints(axes)])[0];
      const prod = c.node('ReduceProd', [picked], { keepdims: 0 })[0];
      return c.node('Cast', [prod], { to: 1 })[0];
    },
    vjp: () => [null],
  }),
  expandAs: defineOp({
    infer: (inputs) => {
      const [g, like] = inputs;
      const shape = broadcastShapes(g.shape, like.shape);
      if (!shape || !sameShape(shape, like.shape)) throw shapeError('expandAs', inputs, 'a tensor that broadcasts to the target');
      return { shape, dtype: g.dtype };
    },
    emit: (c, n) => {
      const [g, like] = n.inputs;
      const aligned = [...Array(like.rank - g.rank).fill(1), ...g.shape];
      // Dims that g already has need no target size: the shape tensor stays a constant unless g lacks 'B'.
      const target = like.shape.map((d, i) => (d === aligned[i] ? 1 : d));
      return c.node('Expand', [c.name(g), target.includes('B') ? c.shapeOf(like) : c.ints(target as number[])])[0];
    },
    vjp: (g) => [g, null],
  }),
  addN: defineOp({
    infer: (inputs) => {
      if (inputs.some((t) => !sameShape(t.shape, inputs[0].shape))) throw shapeError('addN', inputs, 'tensors of one shape');
      return { shape: [...inputs[0].shape], dtype: inputs[0].dtype };
    },
    emit: (c, n) => c.node('Sum', n.inputs.map(c.name))[0],
    vjp: (g, inputs) => inputs.map(() => g),
  }),
} satisfies Record<string, OpDef<never>>;

function axesOf(op: string, x: Tensor, axes: readonly number[]): number[] {
  const norm = axes.map((a) => normAxis(a, x.rank));
  if (norm.some((a) => a < 0) || new Set(norm).size !== norm.length) throw shapeError(op, [x], `distinct axes within rank ${x.rank}`, `axes [${axes.join(', ')}]`);
  return norm.sort((a, b) => a - b);
}

export function reduceSum(x: Tensor, axes: number[], keepDims = false): Tensor {
  const norm = axesOf('reduceSum', x, axes);
  if (norm.length === 0) return x;
  return apply('reduceSum', reduceOps.reduceSum, [x], { axes: norm, keepDims });
}

export function reduceMean(x: Tensor, axes: number[], keepDims = false): Tensor {
  const norm = axesOf('reduceMean', x, axes);
  if (norm.length === 0) return x;
  return div(reduceSum(x, norm, keepDims), apply('count', reduceOps.count, [x], { axes: norm }));
}

/** Broadcasts g up to like's shape (dims of size 1 are repeated). */
export function expandAs(g: Tensor, like: Tensor): Tensor {
  return sameShape(g.shape, like.shape) ? g : apply('expandAs', reduceOps.expandAs, [g, like], {});
}

export function addN(xs: Tensor[]): Tensor {
  return xs.length === 1 ? xs[0] : apply('addN', reduceOps.addN, xs, {});
}
