// What one op is: a shape rule, its ONNX emission and its vector-Jacobian rule (written with public ops,
// so the backward pass is more traced nodes). Rules return gradients in the output's shape; autodiff.ts
// undoes broadcasting and checks every gradient against its input.
import type { Tensor, DType } from '../tensor.js';
import { type Attrs, type Node, type ShapeRule, currentTrace, constant } from '../trace.js';

/** ONNX attribute values: number = INT, number[] = INTS, string = STRING, {float} = FLOAT. */
export type OnnxAttr = number | number[] | string | { float: number };

export interface EmitContext {
  /** The ONNX value name of a traced tensor. */
  name(t: Tensor): string;
  /** Appends one ONNX node and returns its output value names. */
  node(opType: string, inputs: string[], attrs?: Record<string, OnnxAttr>, outputs?: number): string[];
  /** A deduplicated int64 initializer. */
  ints(values: readonly number[]): string;
  /** A deduplicated scalar (rank 0) initializer. */
  scalar(value: number, dtype: DType): string;
  /** t's shape as an int64 tensor: a constant when static, else one (deduplicated) Shape node. */
  shapeOf(t: Tensor): string;
}

export interface OpDef<A extends Attrs = Attrs> extends ShapeRule<A> {
  emit(ctx: EmitContext, node: Node, attrs: A): string;
  /** One gradient per input (null: none, e.g. for indices), each in the output's shape or the input's. */
  vjp(g: Tensor, inputs: Tensor[], out: Tensor, attrs: A): (Tensor | null)[];
}

export function defineOp<A extends Attrs>(def: OpDef<A>): OpDef<A> {
  return def;
}

export function apply<A extends Attrs>(name: string, def: OpDef<A>, inputs: Tensor[], attrs: A): Tensor {
  return currentTrace().record(name, def, inputs, attrs);
}

/** A plain number becomes a scalar constant of the other operand's dtype. */
export function lift(x: Tensor | number, like: Tensor | number): Tensor {
  if (typeof x !== 'number') return x;
  const dtype = typeof like === 'number' ? 'float32' : like.dtype;
  return constant([x], [], dtype);
}

export const ONNX_DTYPE: Record<DType, number> = { float32: 1, int32: 6, bool: 9 };
