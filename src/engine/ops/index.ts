// The op registry: every op the tracer can record, each with its shape rule, emission and VJP rule.
// Typed against OpName so that an op without a rule does not compile.
import { elementwiseOps } from './elementwise.js';
import { groupedOps } from './grouped.js';
import { matmulOps } from './matmul.js';
import { nnOps } from './nn.js';
import type { OpDef } from './op.js';
import { reduceOps } from './reduce.js';
import { shapeOps } from './shape.js';

export type OpName =
  | 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'greater' | 'equal' | 'where' | 'cast'
  | 'neg' | 'relu' | 'sigmoid' | 'tanh' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sign' | 'leakyRelu'
  | 'matmul' | 'matmulAdd' | 'linear'
  | 'reduceSum' | 'count' | 'expandAs' | 'addN'
  | 'reshape' | 'flatten' | 'slice' | 'pad' | 'concat' | 'transpose' | 'gather' | 'scatterAdd'
  | 'softmax' | 'layerNorm' | 'bceWithLogits'
  | 'groupedMatmul' | 'groupedOuter' | 'argsort' | 'invertPermutation' | 'permuteRows' | 'stopGradient';

export const registry = {
  ...elementwiseOps,
  ...matmulOps,
  ...reduceOps,
  ...shapeOps,
  ...nnOps,
  ...groupedOps,
} satisfies Record<OpName, OpDef<never>>;

/** Ops whose inputs get no gradient at all (comparisons, casts, sign, counts, orderings, stopGradient). */
export const NON_DIFFERENTIABLE: readonly OpName[] = ['greater', 'equal', 'cast', 'sign', 'count', 'argsort', 'invertPermutation', 'stopGradient'];

export function opDef(name: string): OpDef | undefined {
  return (registry as Record<string, OpDef<never>>)[name] as OpDef | undefined;
}

export * from './elementwise.js';
export * from './grouped.js';
export * from './matmul.js';
export * from './nn.js';
export { addN, expandAs, reduceMean, reduceSum } from './reduce.js';
export { concat, gather, reshape, slice, squeeze, transpose, unsqueeze } from './shape.js';
