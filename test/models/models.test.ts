// One suite for every registered model (FuxiCTR's smoke run, typed): output shape, a pinned dense parameter
// count, the loss falling under SGD on synthetic rows, a finite-difference gradient check of the whole tiny
// model, inference == the training forward, and — for models with per-scenario parameters — routing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModel, Session } from '../../src/engine/index.js';
import { countParameters, getModel, modelNames } from '../../src/models/index.js';
import { Harness, makeBatch, TINY_CTX, TINY_FIELDS, type Batch } from './harness.js';

const TINY: Record<string, Record<string, unknown>> = {
  optmsm: { repr_dim: 8, tower_hidden: [8, 4], hyper_dim: 4, hyper_rank: 2, num_shared: 2 },
  'shared-bottom': { bottom_hidden: [8], tower_hidden: [4] },
  mmoe: { num_experts: 2, expert_hidden: [8], tower_hidden: [4] },
  ple: { num_levels: 2, shared_experts: 2, expert_hidden: [8], tower_hidden: [4] },
  star: { hidden: [8, 4], aux_hidden: [4] },
  m2m: { num_experts: 2, expert_dim: 4, output_hidden: [4] },
  // Finite differences see the value path that stop-gradient hides from the gradient.
  pepnet: { hidden: [8, 4], gate_hidden: 4, stop_gradient: false },
  epnet: { hidden: [8, 4], gate_hidden: 4, stop_gradient: false },
  ppnet: { hidden: [8, 4], gate_hidden: 4, stop_gradient: false },
  'sar-net': { shared_experts: 2, specific_experts: 2, expert_hidden: [4], hidden: [4] },
  // Scaling: the pruning forms' hard thresholds have no finite-difference derivative (variants.test runs them).
  adasparse: { hidden: [8, 4], form: 'scaling', dropout: 0 },
  adaptdhm: { hidden: [8], clusters: 2 },
  hamur: { backbone_hidden: [8, 4], adapter_dim: 5, rank: 2, hyper_hidden: [4] },
  m3oe: { shared_experts: 2, expert_hidden: [8], tower_hidden: [4] },
  // tanh: with rank-2 cores and zero biases, ReLU rows of a tiny APG sit exactly on the kink.
  apg: { hidden: [8, 4], rank: 2, over_parameterization: 3, generator_hidden: 4, activation: 'tanh' },
  hinet: { shared_experts: 2, specific_experts: 2, expert_hidden: [4], task_experts: 2, task_expert_hidden: [4], tower_hidden: [4] },
};

// Hand-counted (docs/models.md walks through the optmsm one): e.g. shared-bottom = bottom 17·8+8 + towers
// 3·(8·4+4) + 3·(4+1) = 267 on the 17-wide tiny input; apg = per layer generator (4·4+4)+(4·4+4), V = V_1 V_2,
// U = U_1 U_2, bias: (40 + 17·3+3·2 + 2·3+3·8 + 8) + (40 + 8·3+3·2 + 2·3+3·4 + 4) + 5 = 232; sar-net = transform
// 2·3·17 + shared 2·(17·4+4) + specific 3·2·(17·4+4) + gate 3·(17·4+4) + MLP (4·4+4)+(4+1) = 919.
const DENSE: Record<string, number> = {
  optmsm: 729,
  'shared-bottom': 267,
  mmoe: 519,
  ple: 2247,
  star: 741,
  m2m: 729,
  pepnet: 691,
  epnet: 358,
  ppnet: 518,
  'sar-net': 919,
  adasparse: 546,
  adaptdhm: 459,
  hamur: 770,
  m3oe: 1218,
  apg: 232,
  hinet: 890,
};

function expectClose(got: Float32Array, want: Float32Array, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i += 1) expect(Math.abs(got[i] - want[i]), `${what}[${i}]`).toBeLessThan(tol * (1 + Math.abs(want[i])));
}

/**
 * STAR's partitioned norm reads every field but the scenario (E's first 12 columns and the numeric age) and
 * keeps per-scenario running averages (momentum 0.1 from mean 0, variance 1; unbiased variance).
 */
function starStatistics(batch: Batch): { next: Record<string, Float32Array>; batch: Record<string, Float32Array> } {
  const S = TINY_CTX.numScenarios;
  const width = batch.E.length / batch.size;
  const n = 13;
  const row = (b: number) => [...batch.E.subarray(b * width, b * width + 12), batch.numeric[b]];
  const mean = new Float64Array(S * n);
  const square = new Float64Array(S * n);
  const count = new Float64Array(S);
  for (let b = 0; b < batch.size; b += 1) {
    const s = batch.scenario[b];
    count[s] += 1;
    row(b).forEach((v, j) => { mean[s * n + j] += v; square[s * n + j] += v * v; });
  }
  const m = Float32Array.from(mean, (v, k) => v / count[Math.floor(k / n)]);
  const biased = Float32Array.from(square, (v, k) => v / count[Math.floor(k / n)] - m[k] * m[k]);
  const unbiased = biased.map((v, k) => (v * count[Math.floor(k / n)]) / (count[Math.floor(k / n)] - 1));
  return {
    next: { 'pn.running_mean': m.map((v) => 0.1 * v), 'pn.running_var': unbiased.map((v) => 0.9 + 0.1 * v) },
    batch: { 'pn.running_mean': m, 'pn.running_var': biased },
  };
}

/**
 * The buffers that make inference reproduce a training step: running averages (momentum 0.1, as every
 * norm's default) set to the batch statistics the step used, recovered from their next value (a partitioned
 * norm's [S, n] variance is the unbiased one, so it is scaled back by (n_s - 1)/n_s); any other state (AdaSparse's
 * α, AdaptDHM's centres) to its next value, which the training step itself used.
 */
function inferenceBuffers(before: Record<string, Float32Array>, next: Record<string, Float32Array>, shapes: Map<string, number[]>, batch: Batch) {
  const counts = new Float64Array(TINY_CTX.numScenarios);
  for (const s of batch.scenario) counts[s] += 1;
  return Object.fromEntries(Object.entries(next).map(([key, value]) => {
    if (!/running_(mean|var)$/.test(key)) return [key, value];
    const stat = value.map((v, i) => (v - 0.9 * before[key][i]) / 0.1);
    const shape = shapes.get(key)!;
    if (key.endsWith('running_var') && shape.length === 2) {
      const n = shape[1];
      return [key, stat.map((v, i) => (v * (counts[Math.floor(i / n)] - 1)) / counts[Math.floor(i / n)])];
    }
    return [key, stat];
  }));
}

/** Models whose running statistics are also checked against a hand computation from the batch. */
const HAND_STATISTICS: Record<string, (batch: Batch) => ReturnType<typeof starStatistics>> = { star: starStatistics };

/**
 * Per-scenario ([S, ...]) parameters that a model reads for every sample by design, and the config whose other
 * [S, ...] parameters are all routed: HiNet's scenario-aware attention mixes the other scenarios' specific
 * experts (checked with `san: false`, whose specific experts are routed), M3oE's domain balance mixes every
 * domain's expert.
 */
const CROSS_SCENARIO: Record<string, { params?: RegExp; config?: Record<string, unknown> }> = {
  hinet: { config: { san: false } },
  m3oe: { params: /^domain_experts\./ },
};

const ROUTED = new Set(['optmsm', 'shared-bottom', 'mmoe', 'ple', 'star', 'sar-net', 'hamur', 'm3oe', 'hinet']);

it('registers every model of the zoo under its file name', () => {
  expect(modelNames().sort()).toEqual([
    'adaptdhm', 'adasparse', 'apg', 'epnet', 'hamur', 'hinet', 'm2m', 'm3oe', 'mmoe', 'optmsm', 'pepnet', 'ple', 'ppnet',
    'sar-net', 'shared-bottom', 'star',
  ]);
});

describe.each(modelNames())('%s', (name) => {
  const config = TINY[name];
  let h: Harness;
  let batches: Batch[];
  beforeAll(async () => {
    // OptMSM's checks run on SSH, its most involved path; the routing check below runs its default (a shared tower with routed corrections).
    h = await Harness.create(getModel(name), name === 'optmsm' ? { ...TINY.optmsm, prediction: 'hyper' } : config);
    batches = [makeBatch(TINY_CTX, 48, 11), makeBatch(TINY_CTX, 48, 12)];
  });
  afterAll(async () => h.release());

  it('outputs one probability per row', async () => {
    const p = await h.predict(batches[0]);
    expect(p.length).toBe(48);
    for (const v of p) expect(v > 0 && v < 1).toBe(true);
  });

  it('has a pinned dense parameter count', () => {
    expect(countParameters(h.compiled, TINY_FIELDS)).toEqual({ dense: DENSE[name], embedding: 20 * 4 + 30 * 4 + 6 * 4 + 5 * 4 });
  });

  it('inference matches the training forward', async () => {
    const batch = batches[0];
    const train = await h.step(batch);
    let expected = train.probability;
    if (Object.keys(train.next).length > 0) {
      // State that moves in training (running averages, α, centres): set as the training step used it.
      const hand = HAND_STATISTICS[name]?.(batch);
      if (hand) for (const key of Object.keys(hand.next)) expectClose(train.next[key], hand.next[key], 1e-5, `next/${key}`);
      // From zeroed running averages the next value is 0.1 · the batch statistic, at full float precision.
      for (const key of Object.keys(h.buffers)) if (/running_(mean|var)$/.test(key)) h.buffers[key] = new Float32Array(h.buffers[key].length);
      const again = await h.step(batch);
      expected = again.probability;
      const shapes = new Map(h.compiled.buffers.map((b) => [b.name, b.shape]));
      Object.assign(h.buffers, inferenceBuffers(h.buffers, again.next, shapes, batch));
    }
    const infer = await h.predict(batch);
    expectClose(infer, expected, 1e-5, 'inference probability');
  });

  it('exports a self-contained ONNX file that predicts the same', async () => {
    const batch = batches[0];
    const bytes = exportModel(h.compiled, { theta: h.theta, buffers: h.buffers });
    const session = await Session.create(bytes, { threads: 1 });
    const width = batch.E.length / batch.size;
    const out = await session.run({
      E: { data: batch.E, shape: [batch.size, width] },
      numeric: { data: batch.numeric, shape: [batch.size, 1] },
      scenario: { data: batch.scenario, shape: [batch.size], dtype: 'int32' },
    });
    const exported = out['out/probability'].data as Float32Array;
    const inferred = await h.predict(batch);
    for (let i = 0; i < inferred.length; i += 1) expect(exported[i]).toBeCloseTo(inferred[i], 6);
    await session.release();
  });

  it('passes a finite-difference gradient check on theta and E', async () => {
    const batch = batches[0];
    const base = await h.step(batch);
    const loss = async (theta: Float32Array, E: Float32Array) => (await h.step({ ...batch, E }, theta)).loss;
    // The largest gradient of each parameter tensor (capped), so every layer is exercised.
    const coords = h.compiled.params.map((p) => {
      let best = p.offset;
      for (let j = p.offset; j < p.offset + p.size; j += 1) if (Math.abs(base.gradTheta[j]) > Math.abs(base.gradTheta[best])) best = j;
      return best;
    }).filter((j) => Math.abs(base.gradTheta[j]) > 2e-3).slice(0, 12);
    expect(coords.length).toBeGreaterThan(2);
    const eps = 1e-2;
    for (const j of coords) {
      const plus = Float32Array.from(h.theta);
      const minus = Float32Array.from(h.theta);
      plus[j] += eps;
      minus[j] -= eps;
      const fd = ((await loss(plus, batch.E)) - (await loss(minus, batch.E))) / (2 * eps);
      expect(Math.abs(fd - base.gradTheta[j]), `theta[${j}]`).toBeLessThan(2e-3 + 0.05 * Math.abs(base.gradTheta[j]));
    }
    const eCoords = [0, 5, 17, 40].map((k) => (k * 131) % batch.E.length);
    for (const j of eCoords) {
      const plus = Float32Array.from(batch.E);
      const minus = Float32Array.from(batch.E);
      plus[j] += eps;
      minus[j] -= eps;
      const fd = ((await loss(h.theta, plus)) - (await loss(h.theta, minus))) / (2 * eps);
      expect(Math.abs(fd - base.gradE[j]), `E[${j}]`).toBeLessThan(2e-3 + 0.05 * Math.abs(base.gradE[j]));
    }
  });

  it('lowers the loss under plain SGD', async () => {
    const losses = await h.sgd(batches, 40, 0.3);
    const first = (losses[0] + losses[1]) / 2;
    const last = (losses[losses.length - 1] + losses[losses.length - 2]) / 2;
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(first - 0.05);
  });

  it.runIf(ROUTED.has(name))("routes: another scenario's parameters never touch a sample", async () => {
    const cross = CROSS_SCENARIO[name];
    const routedConfig = { ...config, ...cross?.config };
    const routed = name === 'optmsm' || cross?.config ? await Harness.create(getModel(name), routedConfig) : h;
    const S = TINY_CTX.numScenarios;
    const batch = batches[1];
    const before = await routed.predict(batch);
    const theta = Float32Array.from(routed.theta);
    let touched = 0;
    let readByAll = 0;
    for (const p of routed.compiled.params) {
      if (p.shape[0] !== S) continue;
      if (cross?.params?.test(p.name)) {
        readByAll += 1;
        continue;
      }
      const per = p.size / S;
      for (let j = 0; j < per; j += 1) theta[p.offset + per + j] += 0.5; // scenario 1's slice
      touched += 1;
    }
    expect(readByAll > 0, 'the declared cross-scenario parameters exist').toBe(cross?.params !== undefined);
    expect(touched).toBeGreaterThan(0);
    const after = await routed.predict(batch, theta);
    let changed = 0;
    for (let i = 0; i < batch.size; i += 1) {
      if (batch.scenario[i] === 1) changed += after[i] !== before[i] ? 1 : 0;
      else expect(after[i], `row ${i} (scenario ${batch.scenario[i]})`).toBe(before[i]);
    }
    expect(changed).toBeGreaterThan(0);
    if (routed !== h) await routed.release();
  });
});
