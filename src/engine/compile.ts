// compile(build): traces the model twice (training, inference), appends the backward pass to the training
// trace and emits both ONNX graphs, with the layout of theta, buffers, data inputs and dropout masks.
import { OptmsmError } from '../errors.js';
import { gradients } from './autodiff.js';
import { fuseProductSums } from './fuse.js';
import { emitGraph } from './onnx/emit.js';
import { concat, expandAs, reshape } from './ops/index.js';
import { type DType, type Dim, type Init, type Tensor, formatShape, sameShape, staticSize } from './tensor.js';
import { type Node, Trace, constant, withTrace } from './trace.js';

export interface GraphSpec {
  /** Scalar total loss (training trace). */
  loss: Tensor;
  /** Scalar auxiliary losses, reported separately (already included in loss). */
  aux?: Record<string, Tensor>;
  /** Inference outputs, e.g. { probability: [B], logit: [B] }. */
  outputs: Record<string, Tensor>;
  /** Data inputs that need dL/dinput (e.g. 'E'). */
  gradInputs?: string[];
}

export interface ParamSpec { name: string; shape: number[]; offset: number; size: number; init: Init }
export interface BufferSpec { name: string; shape: number[]; size: number; init: Init; /** Has a `next/<name>` output. */ updated: boolean }
export interface InputSpec { name: string; shape: Dim[]; dtype: DType }
export interface MaskSpec { name: string; shape: Dim[]; rate: number }

export interface CompiledModel {
  training: Uint8Array;
  inference: Uint8Array;
  params: ParamSpec[];
  thetaSize: number;
  buffers: BufferSpec[];
  /** Data inputs, declared in both graphs' traces (the training graph takes them all). */
  inputs: InputSpec[];
  dropoutMasks: MaskSpec[];
  /** Input names of each graph, in order (the inference graph omits data inputs its outputs do not use). */
  trainingInputNames: string[];
  inferenceInputNames: string[];
  /** Output names without the 'out/' prefix, and aux names without 'aux/'. */
  outputNames: string[];
  auxNames: string[];
}

const graphError = (message: string, hint?: string) => new OptmsmError('E_ENGINE_GRAPH', message, { hint });

function leafShape(n: Node): number[] {
  return n.out.shape as number[];
}

function checkScalar(what: string, t: Tensor): void {
  if (t.dtype !== 'float32' || t.shape.includes('B') || staticSize(t.shape) !== 1) {
    throw new OptmsmError('E_ENGINE_SHAPE', `${what} must be a float32 scalar, got ${formatShape(t.shape)} ${t.dtype}`);
  }
}

export function compile(build: () => GraphSpec): CompiledModel {
  const train = new Trace(true);
  const spec = withTrace(train, build);
  const paramNodes = train.leaves('param');
  const bufferNodes = train.leaves('buffer');
  const inputNodes = train.leaves('input');
  const maskNodes = train.leaves('mask');
  checkScalar('loss', spec.loss);
  const aux = Object.entries(spec.aux ?? {});
  for (const [name, t] of aux) checkScalar(`aux '${name}'`, t);

  let offset = 0;
  const params: ParamSpec[] = paramNodes.map((n) => {
    const size = staticSize(n.out.shape);
    const p = { name: n.leaf!.name, shape: leafShape(n), offset, size, init: n.leaf!.init! };
    offset += size;
    return p;
  });
  const gradInputs = (spec.gradInputs ?? []).map((name) => {
    const node = inputNodes.find((n) => n.leaf!.name === name);
    if (!node) throw graphError(`gradInputs names '${name}', which is not a data input`);
    return node.out;
  });

  const trainingOutputs = withTrace(train, () => {
    const wrt = [...paramNodes.map((n) => n.out), ...gradInputs];
    const grads = gradients(train, spec.loss, wrt);
    const outs: [string, Tensor][] = [['loss', reshape(spec.loss, [])], ...aux.map(([k, t]): [string, Tensor] => [`aux/${k}`, reshape(t, [])])];
    gradInputs.forEach((t, i) => {
      const g = grads[paramNodes.length + i] ?? constantLike(t);
      outs.push([`grad/${train.node(t).leaf!.name}`, g]);
    });
    if (params.length > 0) {
      const flat = params.map((p, i) => reshape(grads[i] ?? constantLike(paramNodes[i].out), [p.size]));
      outs.push(['grad/theta', concat(flat, 0)]);
    }
    for (const [name, next] of train.assignments) outs.push([`next/${name}`, next]);
    for (const [name, t] of Object.entries(spec.outputs)) outs.push([`out/${name}`, t]);
    return outs;
  });
  fuseProductSums(train, trainingOutputs.map(([, t]) => t));
  const training = emitGraph(train, {
    inputs: [...inputNodes, ...bufferNodes, ...maskNodes].map((n) => n.out),
    pruneInputs: false,
    params: paramNodes.map((n) => n.out),
    outputs: trainingOutputs,
  });

  const infer = new Trace(false);
  const inferSpec = withTrace(infer, build);
  checkSameLeaves('param', paramNodes, infer.leaves('param'));
  checkSameLeaves('buffer', bufferNodes, infer.leaves('buffer'));
  checkSameLeaves('input', inputNodes, infer.leaves('input'));
  const inference = emitGraph(infer, {
    inputs: [...infer.leaves('input'), ...infer.leaves('buffer')].map((n) => n.out),
    pruneInputs: true,
    params: infer.leaves('param').map((n) => n.out),
    outputs: Object.entries(inferSpec.outputs).map(([name, t]) => [`out/${name}`, t] as const),
  });

  return {
    training: training.bytes,
    inference: inference.bytes,
    params,
    thetaSize: offset,
    buffers: bufferNodes.map((n) => ({
      name: n.leaf!.name, shape: leafShape(n), size: staticSize(n.out.shape), init: n.leaf!.init!, updated: train.assignments.has(n.leaf!.name),
    })),
    inputs: inputNodes.map((n) => ({ name: n.leaf!.name, shape: [...n.out.shape], dtype: n.out.dtype })),
    dropoutMasks: maskNodes.map((n) => ({ name: n.leaf!.name, shape: [...n.out.shape], rate: n.leaf!.rate! })),
    trainingInputNames: training.inputNames,
    inferenceInputNames: inference.inputNames,
    outputNames: Object.keys(spec.outputs),
    auxNames: aux.map(([k]) => k),
  };
}

/** Zeros of t's shape (an Expand, not an initializer), for a tensor the loss does not depend on. */
function constantLike(t: Tensor): Tensor {
  return expandAs(constant([0], []), t);
}

function checkSameLeaves(kind: string, a: Node[], b: Node[]): void {
  const same = a.length === b.length && a.every((n, i) => n.leaf!.name === b[i].leaf!.name && sameShape(n.out.shape, b[i].out.shape) && n.out.dtype === b[i].out.dtype);
  if (!same) {
    const list = (ns: Node[]) => ns.map((n) => `${n.leaf!.name}${formatShape(n.out.shape)}`).join(', ');
    throw graphError(`the inference trace declares other ${kind}s than the training trace: [${list(b)}] vs [${list(a)}]`, 'declare every param, buffer and input whether or not isTraining()');
  }
}
