// Test helpers for the engine: run a compiled graph in onnxruntime-node, seeded random values, and checkVjp,
// the one finite-difference gradient check every op rule and composite layer goes through.
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
  /** Largest allowed |fd - analytic| / max(1, |analytic|). */
  tol?: number;
  step?: number;
}

export interface VjpResult {
  maxError: number;
  /** Ops recorded by the forward function (before autodiff), to check a case exercises its op. */
  ops: Set<string>;
  model: CompiledModel;
}

/**
 * Central differences on every float input element of L = sum(fn(args) * r) for seeded random r, compared
 * with the gradients the emitted training graph computes (run in onnxruntime-node).
 */
export async function checkVjp(fn: (...xs: Tensor[]) => Tensor, args: Arg[], options: VjpOptions = {}): Promise<VjpResult> {
  const { batch = 3, seed = 7, tol = 3e-3, step = 1e-2 } = options;
  const ops = new Set<string>();
  const paramArgs = args.map((a, i) => [a, i] as const).filter(([a]) => a.param);
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
  const values = args.map((a, i) => a.values ?? uniform(sizeOf(a.shape, batch), seed * 101 + i));
  const outShape = model.inputs.find((s) => s.name === 'r')!.shape;
  const feeds: Feeds = { r: { values: uniform(sizeOf(outShape, batch), seed * 977), shape: outShape } };
  args.forEach((a, i) => {
    if (!a.param) feeds[`x${i}`] = { values: values[i], shape: a.shape };
  });
  const theta = new Float32Array(model.thetaSize);
  paramArgs.forEach(([, i]) => theta.set(values[i], model.params.find((p) => p.name === `p${i}`)!.offset));
  feeds.theta = { values: theta, shape: [model.thetaSize] };
  model.dropoutMasks.forEach((m, k) => {
    const r = rng(seed * 31 + k);
    feeds[m.name] = { values: Float32Array.from({ length: sizeOf(m.shape, batch) }, () => (r() < m.rate ? 0 : 1)), shape: m.shape };
  });

  const session = await ort.InferenceSession.create(model.training);
  let maxError = 0;
  try {
    const base = await runSession(session, feeds, batch);
    const lossAt = async (target: Float32Array, j: number, delta: number) => {
      const keep = target[j];
      target[j] = keep + delta;
      const loss = (await runSession(session, feeds, batch)).loss[0];
      target[j] = keep;
      return loss;
    };
    for (const [i, a] of args.entries()) {
      if ((a.dtype ?? 'float32') !== 'float32') continue;
      const target = a.param ? theta : (values[i] as Float32Array);
      const offset = a.param ? model.params.find((p) => p.name === `p${i}`)!.offset : 0;
      const analytic = a.param ? base['grad/theta'] : base[`grad/x${i}`];
      const n = sizeOf(a.shape, batch);
      for (let j = 0; j < n; j++) {
        const fd = ((await lossAt(target, offset + j, step)) - (await lossAt(target, offset + j, -step))) / (2 * step);
        const an = analytic[offset + j];
        const err = Math.abs(fd - an) / Math.max(1, Math.abs(an));
        maxError = Math.max(maxError, err);
        expect(err, `arg ${i} element ${j}: finite difference ${fd}, gradient ${an}`).toBeLessThanOrEqual(tol);
      }
    }
  } finally {
    await session.release();
  }
  return { maxError, ops, model };
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
