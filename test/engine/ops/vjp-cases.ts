// One or more finite-difference cases per registered op (vjp.test.ts checks that none is missing).
import * as E from '../../../src/engine/index.js';
import { addN, expandAs } from '../../../src/engine/ops/reduce.js';
import { flatten } from '../../../src/engine/ops/shape.js';
import { type OpName } from '../../../src/engine/ops/index.js';
import type { Tensor } from '../../../src/engine/index.js';
import { type Arg, type VjpOptions, awayFromZero, uniform } from '../helpers.js';
import { GROUPED_CASES } from './grouped-cases.js';

export interface VjpCase {
  name: string;
  fn: (...xs: Tensor[]) => Tensor;
  args: Arg[];
  options?: VjpOptions;
}

const f = (...shape: E.Dim[]): Arg => ({ shape });
const away = (seed: number, ...shape: number[]): Arg => ({ shape, values: awayFromZero(shape.reduce((a, b) => a * b, 1), seed) });
const positive = (seed: number, ...shape: number[]): Arg => ({ shape, values: uniform(shape.reduce((a, b) => a * b, 1), seed, 0.5, 2) });
const ids = (values: number[], shape: number[] = [values.length]): Arg => ({ shape, dtype: 'int32', values: Int32Array.from(values) });
const p = (...shape: number[]): Arg => ({ shape, param: true });

export const VJP_CASES: Record<OpName, VjpCase[]> = {
  add: [
    { name: 'broadcast [B,3] + [3]', fn: (a, b) => E.add(a, b), args: [f('B', 3), f(3)] },
    { name: 'broadcast [2,1,3] + [4,1]', fn: (a, b) => E.add(a, b), args: [f(2, 1, 3), f(4, 1)] },
  ],
  sub: [{ name: '[2,3] - [2,1]', fn: (a, b) => E.sub(a, b), args: [f(2, 3), f(2, 1)] }],
  mul: [
    { name: '[B,3] * [B,1]', fn: (a, b) => E.mul(a, b), args: [f('B', 3), f('B', 1)] },
    { name: 'same input twice', fn: (a) => E.mul(a, a), args: [f(2, 3)] },
  ],
  div: [{ name: '[2,3] / [3]', fn: (a, b) => E.div(a, b), args: [f(2, 3), positive(3, 3)] }],
  maximum: [{ name: 'max [2,3], [3]', fn: (a, b) => E.maximum(a, b), args: [away(1, 2, 3), away(2, 3)] }],
  minimum: [{ name: 'min [2,3], [2,3]', fn: (a, b) => E.minimum(a, b), args: [away(3, 2, 3), away(4, 2, 3)] }],
  greater: [{ name: 'where(a > b, a, b)', fn: (a, b) => E.where(E.greater(a, b), a, E.mul(b, 2)), args: [away(5, 2, 3), away(6, 2, 3)] }],
  equal: [{ name: 'where(ids == 1, x, -x)', fn: (x, i) => E.where(E.equal(i, 1), x, E.neg(x)), args: [f(4, 2), ids([1, 0, 1, 2], [4, 1])] }],
  where: [{ name: 'where broadcast', fn: (x, y) => E.where(E.greater(x, 0), x, y), args: [{ shape: ['B', 3], values: awayFromZero(9, 7) }, f(3)] }],
  cast: [{ name: 'x * cast(ids)', fn: (x, i) => E.mul(x, E.cast(i, 'float32')), args: [f(2, 3), ids([1, 2, 3, 4, 5, 6], [2, 3])] }],
  neg: [{ name: 'neg', fn: (x) => E.neg(x), args: [f(2, 3)] }],
  relu: [{ name: 'relu', fn: (x) => E.relu(x), args: [away(8, 3, 4)] }],
  sigmoid: [{ name: 'sigmoid', fn: (x) => E.sigmoid(x), args: [f(3, 4)] }],
  tanh: [{ name: 'tanh', fn: (x) => E.tanh(x), args: [f(3, 4)] }],
  exp: [{ name: 'exp', fn: (x) => E.exp(x), args: [f(3, 4)] }],
  log: [{ name: 'log', fn: (x) => E.log(x), args: [positive(9, 3, 4)] }],
  sqrt: [{ name: 'sqrt', fn: (x) => E.sqrt(x), args: [positive(10, 3, 4)] }],
  abs: [{ name: 'abs', fn: (x) => E.abs(x), args: [away(11, 3, 4)] }],
  sign: [{ name: 'x * sign(y)', fn: (x, y) => E.mul(x, E.sign(y)), args: [f(3, 4), away(12, 3, 4)] }],
  leakyRelu: [{ name: 'leakyRelu 0.2', fn: (x) => E.leakyRelu(x, 0.2), args: [away(13, 3, 4)] }],
  matmul: [
    { name: '2-D', fn: (a, b) => E.matmul(a, b), args: [f(3, 4), f(4, 2)] },
    { name: 'batched with broadcast [2,3,4] @ [4,5]', fn: (a, b) => E.matmul(a, b), args: [f(2, 3, 4), f(4, 5)] },
    { name: 'per-sample K=1 [B,1,4] @ [B,4,3]', fn: (a, b) => E.matmul(a, b), args: [f('B', 1, 4), f('B', 4, 3)] },
    { name: 'transposed inside (a^T b)', fn: (a, b) => E.matmul(E.transpose(a, [1, 0]), b), args: [f(4, 3), f(4, 2)] },
    { name: 'shared 2-D weight [B,2,4] @ [4,3]', fn: (a, b) => E.matmul(a, b), args: [f('B', 2, 4), p(4, 3)] },
    { name: 'shared 2-D weight transposed', fn: (a, b) => E.matmul(a, E.transpose(b, [1, 0])), args: [f('B', 1, 4), f(3, 4)] },
    { name: 'matmul of a matmul gradient (flags)', fn: (a, b) => E.matmul(E.transpose(E.matmul(a, b), [1, 0]), a), args: [f(3, 4), f(4, 2)] },
    {
      // x [B,1,K] @ reshape(c W + b, [B,K,M]) with H < K is rewritten into Σ_h c_h (x W_h) + x b.
      name: 'per-sample generated weight (factored)',
      fn: (x, c, w, b) => E.matmul(x, E.reshape(E.linearOp(c, w, b), ['B', 5, 3])),
      args: [f('B', 1, 5), f('B', 2), p(2, 15), p(15)],
    },
  ],
  matmulAdd: [
    // Formed by fuse.ts from the gradient sum of x, which feeds two products.
    { name: 'gradient sum of two products', fn: (x, w, v) => E.add(E.matmul(x, w), E.relu(E.matmul(x, v))), args: [f('B', 4), p(4, 3), p(4, 3)] },
  ],
  linear: [
    { name: '2-D with bias (Gemm)', fn: (x, w, b) => E.linearOp(x, w, b), args: [f('B', 4), p(4, 3), p(3)] },
    { name: '3-D without bias', fn: (x, w) => E.linearOp(x, w), args: [f(2, 3, 4), f(4, 2)] },
    { name: '3-D with bias', fn: (x, w, b) => E.linearOp(x, w, b), args: [f('B', 2, 4), f(4, 2), f(2)] },
  ],
  reduceSum: [
    { name: 'axes [0, 2]', fn: (x) => E.reduceSum(x, [0, 2]), args: [f(2, 3, 4)] },
    { name: 'batch axis keepDims', fn: (x) => E.reduceSum(x, [0], true), args: [f('B', 3)] },
  ],
  count: [{ name: 'reduceMean over batch', fn: (x) => E.reduceMean(x, [0]), args: [f('B', 3)] }],
  expandAs: [{ name: 'expand [3,1] to [3,4]', fn: (g, like) => expandAs(g, E.mul(like, 0)), args: [f(3, 1), f(3, 4)] }],
  addN: [{ name: 'sum of three', fn: (a, b) => addN([a, b, E.mul(a, b)]), args: [f(2, 3), f(2, 3)] }],
  reshape: [{ name: '[B,6] -> [B,2,3]', fn: (x) => E.reshape(x, ['B', 2, 3]), args: [f('B', 6)] }],
  flatten: [{ name: '[B,2,3] -> [2B,3], contracted', fn: (x) => E.reduceSum(E.mul(flatten(x), flatten(x)), [0]), args: [f('B', 2, 3)] }],
  slice: [{ name: 'axis 1, 1..3', fn: (x) => E.slice(x, 1, 1, 3), args: [f(2, 4)] }],
  pad: [
    { name: 'through slice', fn: (x) => E.slice(x, 0, 1, 2), args: [f(3, 2)] },
    {
      name: 'slices joined by autodiff: out of order, overlapping, with a gap',
      fn: (x) => E.concat([E.tanh(E.slice(x, 1, 2, 4)), E.mul(E.slice(x, 1, 0, 2), 2), E.exp(E.slice(x, 1, 3, 5)), E.slice(x, 1, 6, 7)], 1),
      args: [f('B', 7)],
    },
  ],
  concat: [{ name: 'axis 1', fn: (a, b) => E.concat([a, b, a], 1), args: [f('B', 2), f('B', 3)] }],
  transpose: [{ name: 'perm [2,0,1]', fn: (x) => E.transpose(x, [2, 0, 1]), args: [f(2, 3, 4)] }],
  gather: [
    { name: 'per-scenario params by id', fn: (w, i) => E.gather(w, i), args: [p(3, 2, 2), ids([2, 0, 2, 1])] },
    { name: 'axis 1', fn: (x, i) => E.gather(x, i, 1), args: [f(2, 4, 3), ids([3, 3, 0])] },
  ],
  scatterAdd: [{ name: 'gather with repeats', fn: (w, i) => E.gather(w, i), args: [f(4, 3), ids([1, 1, 3, 1, 0], [5])] }],
  softmax: [
    { name: 'last axis', fn: (x) => E.softmax(x), args: [f(3, 4)] },
    { name: 'axis 1 of 3-D', fn: (x) => E.softmax(x, 1), args: [f(2, 3, 2)] },
  ],
  layerNorm: [{ name: 'last axis', fn: (x, g, b) => E.layerNorm(x, g, b), args: [f('B', 5), f(5), f(5)] }],
  bceWithLogits: [{ name: 'stable BCE', fn: (z, y) => E.bceWithLogits(z, y), args: [{ shape: ['B'], values: Float32Array.from([-3, 0.5, 4]) }, f('B')] }],
  ...GROUPED_CASES,
};
