// Elementwise ops with numpy broadcasting. Gradients come back in the output's shape; autodiff.ts sums
// them down to each input's shape.
import { type Tensor, broadcastShapes } from '../tensor.js';
import { type OutInfo, shapeError } from '../trace.js';
import { type OpDef, ONNX_DTYPE, apply, defineOp, lift } from './op.js';

type Operand = Tensor | number;

function broadcastRule(name: string, out?: 'bool', numeric = true) {
  return (inputs: Tensor[]): OutInfo => {
    const [a, b] = inputs;
    const shape = broadcastShapes(a.shape, b.shape);
    if (shape === null) throw shapeError(name, inputs, 'shapes that broadcast');
    if (a.dtype !== b.dtype || (numeric && a.dtype === 'bool')) throw shapeError(name, inputs, 'two numeric operands of one dtype');
    return { shape, dtype: out ?? a.dtype };
  };
}

function unaryRule(name: string) {
  return (inputs: Tensor[]): OutInfo => {
    if (inputs[0].dtype !== 'float32') throw shapeError(name, inputs, 'a float32 tensor');
    return { shape: [...inputs[0].shape], dtype: 'float32' };
  };
}

function binary(onnx: string, vjp: OpDef['vjp'], name: string): OpDef {
  return defineOp({ infer: broadcastRule(name), emit: (c, n) => c.node(onnx, n.inputs.map(c.name))[0], vjp });
}

function unary(onnx: string, vjp: OpDef['vjp'], name: string): OpDef {
  return defineOp({ infer: unaryRule(name), emit: (c, n) => c.node(onnx, [c.name(n.inputs[0])])[0], vjp });
}

export const elementwiseOps = {
  add: binary('Add', (g) => [g, g], 'add'),
  sub: binary('Sub', (g) => [g, neg(g)], 'sub'),
  mul: binary('Mul', (g, [a, b]) => [mul(g, b), mul(g, a)], 'mul'),
  div: binary('Div', (g, [, b], y) => [div(g, b), neg(div(mul(g, y), b))], 'div'),
  maximum: binary('Max', (g, [a, b]) => [where(greater(b, a), 0, g), where(greater(b, a), g, 0)], 'maximum'),
  minimum: binary('Min', (g, [a, b]) => [where(greater(a, b), 0, g), where(greater(a, b), g, 0)], 'minimum'),
  greater: defineOp({ infer: broadcastRule('greater', 'bool'), emit: (c, n) => c.node('Greater', n.inputs.map(c.name))[0], vjp: () => [null, null] }),
  equal: defineOp({ infer: broadcastRule('equal', 'bool', false), emit: (c, n) => c.node('Equal', n.inputs.map(c.name))[0], vjp: () => [null, null] }),
  neg: unary('Neg', (g) => [neg(g)], 'neg'),
  // The mask from the output (y > 0 iff x > 0): x then has one reader, so ORT can fuse Gemm + Relu.
  relu: unary('Relu', (g, _, y) => [where(greater(y, 0), g, 0)], 'relu'),
  sigmoid: unary('Sigmoid', (g, _, y) => [mul(g, mul(y, sub(1, y)))], 'sigmoid'),
  tanh: unary('Tanh', (g, _, y) => [mul(g, sub(1, mul(y, y)))], 'tanh'),
  exp: unary('Exp', (g, _, y) => [mul(g, y)], 'exp'),
  log: unary('Log', (g, [x]) => [div(g, x)], 'log'),
  sqrt: unary('Sqrt', (g, _, y) => [div(mul(g, 0.5), y)], 'sqrt'),
  abs: unary('Abs', (g, [x]) => [mul(g, sign(x))], 'abs'),
  sign: unary('Sign', () => [null], 'sign'),
  leakyRelu: defineOp<{ alpha: number }>({
    infer: unaryRule('leakyRelu'),
    emit: (c, n, { alpha }) => c.node('LeakyRelu', [c.name(n.inputs[0])], { alpha: { float: alpha } })[0],
    vjp: (g, [x], _, { alpha }) => [where(greater(x, 0), g, mul(g, alpha))],
  }),
  where: defineOp({
    infer: (inputs) => {
      const [c, a, b] = inputs;
      const ab = broadcastShapes(a.shape, b.shape);
      const shape = ab && broadcastShapes(c.shape, ab);
      if (!shape || c.dtype !== 'bool' || a.dtype !== b.dtype) throw shapeError('where', inputs, 'a bool condition and two values of one dtype, all broadcasting');
      return { shape, dtype: a.dtype };
    },
    emit: (c, n) => c.node('Where', n.inputs.map(c.name))[0],
    vjp: (g, [cond]) => [null, where(cond, g, 0), where(cond, 0, g)],
  }),
  cast: defineOp<{ to: Tensor['dtype'] }>({
    infer: ([x], { to }) => ({ shape: [...x.shape], dtype: to }),
    emit: (c, n, { to }) => c.node('Cast', [c.name(n.inputs[0])], { to: ONNX_DTYPE[to] })[0],
    // cast() skips same-dtype casts, so a recorded cast changes the dtype and passes no gradient.
    vjp: () => [null],
  }),
} satisfies Record<string, OpDef<never>>;

const E = elementwiseOps;
function bin(name: keyof typeof E, def: OpDef, a: Operand, b: Operand): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw shapeError(name, [], 'at least one tensor operand');
  return apply(name, def, [lift(a, b), lift(b, a)], {});
}

export const add = (a: Operand, b: Operand): Tensor => bin('add', E.add, a, b);
export const sub = (a: Operand, b: Operand): Tensor => bin('sub', E.sub, a, b);
export const mul = (a: Operand, b: Operand): Tensor => bin('mul', E.mul, a, b);
export const div = (a: Operand, b: Operand): Tensor => bin('div', E.div, a, b);
export const maximum = (a: Operand, b: Operand): Tensor => bin('maximum', E.maximum, a, b);
export const minimum = (a: Operand, b: Operand): Tensor => bin('minimum', E.minimum, a, b);
export const greater = (a: Operand, b: Operand): Tensor => bin('greater', E.greater, a, b);
export const equal = (a: Operand, b: Operand): Tensor => bin('equal', E.equal, a, b);
export const neg = (x: Tensor): Tensor => apply('neg', E.neg, [x], {});
export const relu = (x: Tensor): Tensor => apply('relu', E.relu, [x], {});
export const sigmoid = (x: Tensor): Tensor => apply('sigmoid', E.sigmoid, [x], {});
export const tanh = (x: Tensor): Tensor => apply('tanh', E.tanh, [x], {});
export const exp = (x: Tensor): Tensor => apply('exp', E.exp, [x], {});
export const log = (x: Tensor): Tensor => apply('log', E.log, [x], {});
export const sqrt = (x: Tensor): Tensor => apply('sqrt', E.sqrt, [x], {});
export const abs = (x: Tensor): Tensor => apply('abs', E.abs, [x], {});
export const sign = (x: Tensor): Tensor => apply('sign', E.sign, [x], {});
export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor => apply('leakyRelu', E.leakyRelu, [x], { alpha });
export const cast = (x: Tensor, dtype: Tensor['dtype']): Tensor => (x.dtype === dtype ? x : apply('cast', E.cast, [x], { to: dtype }));

export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (typeof a === 'number' && typeof b === 'number') {
    throw shapeError('where', [cond], 'at least one tensor branch', `both branches are numbers: ${a}, ${b}`);
  }
  return apply('where', E.where, [cond, lift(a, b), lift(b, a)], {});
}
