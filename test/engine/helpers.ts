// Test helpers for the engine: run a compiled graph in onnxruntime-node, seeded random values, and checkVjp,
// the one finite-difference gradient check every op rule and composite layer goes through.
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { currentTrace } from '../../src/engine/trace.js';
import { type CompiledModel, type DType, type Dim, type Tensor, compile, constant, input, mul, param, reduceSum } from '../../src/engine/index.js';

export type Values = Float32Array | Int32Array | Uint8Array;

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export function uniform(n: number, seed: number, low = -1, high = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => low + (high - low) * r());
}

/** Values in ±[gap, 1]: away from the kinks of relu/abs/maximum. */
export function awayFromZero(n: number, seed: number, gap = 0.1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * (gap + (1 - gap) * r()));
}

const sizeOf = (shape: readonly Dim[], batch: number) => shape.reduce<number>((n, d) => n * (d === 'B' ? batch : d), 1);
const dimsOf = (shape: readonly Dim[], batch: number) => shape.map((d) => (d === 'B' ? batch : d));

export function ortTensor(values: Values, dims: number[]): ort.Tensor {
  if (values instanceof Float32Array) return new ort.Tensor('float32', values, dims);
  if (values instanceof Int32Array) return new ort.Tensor('int32', values, dims);
  return new ort.Tensor('bool', values, dims);
}

export type Feeds = Record<string, { values: Values; shape: readonly Dim[] }>;

export async function runGraph(bytes: Uint8Array, feeds: Feeds, batch: number): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await runSession(session, feeds, batch);
  } finally {
    await session.release();
  }
}

export async function runSession(session: ort.InferenceSession, feeds: Feeds, batch: number): Promise<Record<string, Float32Array>> {
  const feed: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) feed[name] = ortTensor(feeds[name].values, dimsOf(feeds[name].shape, batch));
  const out = await session.run(feed);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Float32Array.from(v.data as ArrayLike<number>)]));
}

export interface Arg {
  shape: Dim[];
  dtype?: DType;
  /** Fixed values; otherwise uniform in [-1, 1] from the case's seed. */
  values?: Values;
  /** Declare as a param (gradient through grad/theta) rather than a data input (grad/<name>). */
  param?: boolean;
}

export interface VjpOptions {
  batch?: number;
  seed?: number;
  /** float32 fallback only: largest allowed |fd - analytic| / max(1, |analytic|), and the step. */
  tol?: number;
  step?: number;
}

export interface VjpResult {
  maxError: number;
  /** Ops recorded by the forward function (before autodiff), to check a case exercises its op. */
  ops: Set<string>;
  model: CompiledModel;
  /** Whether the check ran in double precision. */
  float64: boolean;
}

/**
 * The training graph in double precision where onnxruntime has double kernels for every node: float
 * tensors, initializers, casts and ConstantOfShape fills become float64.
 */
export function toFloat64(bytes: Uint8Array): Uint8Array {
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  for (const v of [...graph.input!, ...graph.output!]) if (v.type?.tensorType?.elemType === 1) v.type.tensorType.elemType = 11;
  for (const t of graph.initializer!) {
    if (t.dataType !== 1) continue;
    const raw = Uint8Array.from(t.rawData!);
    t.rawData = new Uint8Array(Float64Array.from(new Float32Array(raw.buffer)).buffer);
    t.dataType = 11;
  }
  for (const n of graph.node!) {
    for (const a of n.attribute!) if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === 1) a.i = 11;
    if (n.opType === 'ConstantOfShape') {
      const zero = { dataType: 11, dims: [1], rawData: new Uint8Array(new Float64Array(1).buffer) };
      n.attribute!.push(onnx.AttributeProto.create({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: zero }));
    }
  }
  return onnx.ModelProto.encode(model).finish();
}

async function createTrainingSession(model: CompiledModel): Promise<{ session: ort.InferenceSession; float64: boolean }> {
  try {
    return { session: await ort.InferenceSession.create(toFloat64(model.training)), float64: true };
  } catch {
    return { session: await ort.InferenceSession.create(model.training), float64: false };
  }
}

/**
 * Central differences on every float input element of L = sum(fn(args) * r) for seeded random r, compared
 * with the gradients the emitted training graph computes (run in onnxruntime-node): in double precision
 * (step 1e-6, tolerance 1e-6) when every kernel of the graph has a double version, else in float32 with the
 * given step and tolerance.
 */
export async function checkVjp(fn: (...xs: Tensor[]) => Tensor, args: Arg[], options: VjpOptions = {}): Promise<VjpResult> {
  const { batch = 3, seed = 7 } = options;
  const ops = new Set<string>();
  const model = compile(() => {
    const xs = args.map((a, i) => (a.param ? param(`p${i}`, a.shape as number[], { kind: 'zeros' }) : input(`x${i}`, a.shape, a.dtype ?? 'float32')));
    const before = currentTrace().nodes.length;
    const y = fn(...xs);
    for (const n of currentTrace().nodes.slice(before)) ops.add(n.op);
    const r = input('r', [...y.shape]);
    return {
      loss: reduceSum(mul(y, r), [...y.shape.keys()]),
      outputs: { y },
      gradInputs: args.flatMap((a, i) => (!a.param && (a.dtype ?? 'float32') === 'float32' ? [`x${i}`] : [])),
    };
  });
  const { session, float64 } = await createTrainingSession(model);
  const step = float64 ? 1e-6 : (options.step ?? 1e-2);
  const tol = float64 ? 1e-6 : (options.tol ?? 3e-3);
  const real = (v: Float32Array) => (float64 ? Float64Array.from(v) : v);

  const feeds: Record<string, { values: Float32Array | Float64Array | Int32Array | Uint8Array; shape: readonly Dim[] }> = {};
  const theta = real(new Float32Array(model.thetaSize));
  feeds.theta = { values: theta, shape: [model.thetaSize] };
  const targets = args.map((a, i) => {
    const v = a.values ?? uniform(sizeOf(a.shape, batch), seed * 101 + i);
    const values = v instanceof Float32Array ? real(v) : v;
    if (!a.param) {
      feeds[`x${i}`] = { values, shape: a.shape };
      return { values, offset: 0, grad: `grad/x${i}` };
    }
    const offset = model.params.find((p) => p.name === `p${i}`)!.offset;
    theta.set(values as Float32Array, offset);
    return { values: theta, offset, grad: 'grad/theta' };
  });
  const outShape = model.inputs.find((s) => s.name === 'r')!.shape;
  feeds.r = { values: real(uniform(sizeOf(outShape, batch), seed * 977)), shape: outShape };
  model.dropoutMasks.forEach((m, k) => {
    const r = rng(seed * 31 + k);
    feeds[m.name] = { values: real(Float32Array.from({ length: sizeOf(m.shape, batch) }, () => (r() < m.rate ? 0 : 1))), shape: m.shape };
  });

  const run = async () => {
    const feed: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const { values, shape } = feeds[name];
      feed[name] = values instanceof Float64Array ? new ort.Tensor('float64', values, dimsOf(shape, batch)) : ortTensor(values, dimsOf(shape, batch));
    }
    const out = await session.run(feed);
    return (name: string) => out[name].data as Float32Array | Float64Array;
  };
  let maxError = 0;
  try {
    const base = await run();
    const lossAt = async (target: Float32Array | Float64Array, j: number, delta: number) => {
      const keep = target[j];
      target[j] = keep + delta;
      const loss = (await run())('loss')[0];
      target[j] = keep;
      return loss;
    };
    for (const [i, a] of args.entries()) {
      if ((a.dtype ?? 'float32') !== 'float32') continue;
      const { values, offset, grad } = targets[i];
      const target = values as Float32Array | Float64Array;
      const analytic = base(grad);
      for (let j = 0; j < sizeOf(a.shape, batch); j++) {
        const fd = ((await lossAt(target, offset + j, step)) - (await lossAt(target, offset + j, -step))) / (2 * step);
        const an = analytic[offset + j];
        const err = Math.abs(fd - an) / Math.max(1, Math.abs(an));
        maxError = Math.max(maxError, err);
        expect(err, `arg ${i} element ${j} (${float64 ? 'float64' : 'float32'}): finite difference ${fd}, gradient ${an}`).toBeLessThanOrEqual(tol);
      }
    }
  } finally {
    await session.release();
  }
  return { maxError, ops, model, float64 };
}

/** Runs fn forward on fixed values through the inference graph and returns its output. */
export async function evalForward(fn: (...xs: Tensor[]) => Tensor, args: Arg[], batch = 1): Promise<Float32Array> {
  const model = compile(() => {
    const xs = args.map((a, i) => input(`x${i}`, a.shape, a.dtype ?? 'float32'));
    return { loss: constant([0], []), outputs: { y: fn(...xs) } };
  });
  const feeds: Feeds = {};
  args.forEach((a, i) => {
    feeds[`x${i}`] = { values: a.values!, shape: a.shape };
  });
  return (await runGraph(model.inference, feeds, batch))['out/y'];
}
