// OptMSM beyond the shared suite: per-scenario generation is exactly per-sample generation, every option
// combination builds, the `own` combination checks K = S, and L_orth matches hand-computed values.
import { describe, expect, it } from 'vitest';
import { compile, input, reduceSum, Session } from '../../src/engine/index.js';
import { OptmsmError } from '../../src/errors.js';
import { buildCtrGraph, embeddingWidth, getModel, orthParameter, orthRepresentation } from '../../src/models/index.js';
import { field, Harness, makeBatch, TINY_CTX } from './harness.js';

const BASE = { repr_dim: 8, tower_hidden: [8, 4], hyper_dim: 4, hyper_rank: 2 };
/** OptMSM with the paper's prediction module (the default is a shared tower with per-scenario corrections). */
const SSH = { ...BASE, prediction: 'hyper' };

function expectClose(a: Float32Array, b: Float32Array, tol: number, what: string) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i += 1) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  expect(worst, what).toBeLessThan(tol);
}

/** dL/dE summed per scenario over the scenario field's columns: what reaches the embedding table. */
function scenarioColumnGrad(gradE: Float32Array, scenario: Int32Array, width: number, start: number, dim: number): Float32Array {
  const out = new Float32Array(TINY_CTX.numScenarios * dim);
  scenario.forEach((s, b) => {
    for (let d = 0; d < dim; d += 1) out[s * dim + d] += gradE[b * width + start + d];
  });
  return out;
}

describe('per-scenario generation equals per-sample generation', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['optmsm decomposed', SSH],
    ['optmsm full + scenario embedding in c', { ...SSH, hyper_mode: 'full', hyper_scenario_embedding: true }],
    ['optmsm scale, generate all', { ...SSH, hyper_mode: 'scale', generate: 'all' }],
    ['optmsm towers, combine gate', BASE],
    ['shared-bottom hyper', { bottom_hidden: [8], tower_hidden: [4], prediction: 'hyper', hyper_dim: 4, hyper_rank: 2 }],
    ['m2m', { num_experts: 2, expert_dim: 4, output_hidden: [4] }],
  ];
  it.each(cases)('%s', async (label, config) => {
    const model = getModel(label.split(' ')[0]);
    const perScenario = await Harness.create(model, { ...config, hyper_generation: 'auto' });
    const perSample = await Harness.create(model, { ...config, hyper_generation: 'per_sample' });
    expect(perScenario.compiled.params).toEqual(perSample.compiled.params);
    expect(perScenario.theta).toEqual(perSample.theta);
    expect(Buffer.from(perScenario.compiled.training).equals(Buffer.from(perSample.compiled.training))).toBe(false);
    const batch = makeBatch(TINY_CTX, 40, 5);
    const a = await perScenario.step(batch);
    const b = await perSample.step(batch);
    expect(a.loss).toBeCloseTo(b.loss, 6);
    expectClose(a.probability, b.probability, 1e-6, 'probability');
    expectClose(a.gradTheta, b.gradTheta, 1e-5, 'grad/theta');
    // Non-scenario columns get identical gradients; the scenario columns agree once summed per scenario
    // (per-scenario generation spreads a scenario's gradient evenly over its rows).
    const width = 17 - 1;
    const scenarioStart = 12;
    const nonScenario = (g: Float32Array) => g.filter((_, i) => i % width < scenarioStart);
    expectClose(nonScenario(a.gradE), nonScenario(b.gradE), 1e-5, 'grad/E (shared fields)');
    expectClose(
      scenarioColumnGrad(a.gradE, batch.scenario, width, scenarioStart, 4),
      scenarioColumnGrad(b.gradE, batch.scenario, width, scenarioStart, 4), 1e-5, 'grad/E (scenario field, per scenario)');
    await Promise.all([perScenario.release(), perSample.release()]);
  });
});

describe('options', () => {
  it('builds every combination of combine × orth × prediction × generate × hyper_mode × scenario embedding', () => {
    const build = (config: Record<string, unknown>) => compile(buildCtrGraph(getModel('optmsm'), { ...BASE, ...config }, TINY_CTX));
    let built = 0;
    for (const combine of ['gate', 'own', 'concat']) {
      for (const orth of ['representation', 'parameter', 'none']) {
        expect(build({ combine, orth, prediction: 'towers', norm: 'batch' }).thetaSize).toBeGreaterThan(0);
        built += 1;
        for (const generate of ['upper', 'all', 'last']) {
          for (const hyper_mode of ['decomposed', 'full', 'scale']) {
            for (const hyper_scenario_embedding of [false, true]) {
              const c = build({ combine, orth, prediction: 'hyper', generate, hyper_mode, hyper_scenario_embedding });
              expect(c.auxNames).toEqual(orth === 'none' ? [] : ['orth']);
              built += 1;
            }
          }
        }
      }
    }
    expect(built).toBe(9 * 19);
    expect(build({ num_shared: 6, encoder_hidden: [8, 8], dropout: 0.1, activation: 'tanh' }).dropoutMasks.length).toBeGreaterThan(0);
  });

  it('residual: one shared tower and one correction tower per scenario, logits summed', async () => {
    const build = (config: Record<string, unknown>) => compile(buildCtrGraph(getModel('optmsm'), { ...BASE, ...config }, TINY_CTX));
    const mlpSize = (dims: number[]) => dims.slice(1).reduce((n, out, i) => n + dims[i] * out + out, 0);
    const rDim = 2 * BASE.repr_dim;
    const tower = mlpSize([rDim, ...BASE.tower_hidden, 1]);
    const S = TINY_CTX.numScenarios;
    for (const residualHidden of [[], [4]]) {
      const correction = mlpSize([rDim, ...residualHidden, 1]);
      const residual = build({ prediction: 'residual', residual_hidden: residualHidden });
      expect(residual.thetaSize - build({ prediction: 'towers' }).thetaSize).toBe(tower + S * correction - S * tower);
      const gained = build({ prediction: 'residual', residual_hidden: residualHidden, residual_gain: true });
      expect(gained.thetaSize - residual.thetaSize).toBe(S);
    }
    // Summed logits: the correction towers add to the shared tower's logit, so a step moves both.
    const h = await Harness.create(getModel('optmsm'), { ...BASE, prediction: 'residual', residual_hidden: [4] });
    const step = await h.step(makeBatch(TINY_CTX, 40, 2));
    const moved = (prefix: string) => h.compiled.params.some((p) => p.name.startsWith(prefix) && step.gradTheta.subarray(p.offset, p.offset + p.size).some((g) => g !== 0));
    expect(moved('tower.residual.')).toBe(true);
    expect(moved('tower.0.')).toBe(true);
    await h.release();
    // The gain starts at 1: before any step, the predictions with it are those without it.
    const plain = await Harness.create(getModel('optmsm'), { ...BASE, prediction: 'residual', residual_hidden: [4] });
    const gained = await Harness.create(getModel('optmsm'), { ...BASE, prediction: 'residual', residual_hidden: [4], residual_gain: true });
    const batch = makeBatch(TINY_CTX, 40, 3);
    const [a, b] = [await plain.predict(batch), await gained.predict(batch)];
    a.forEach((p, i) => expect(b[i]).toBeCloseTo(p, 6));
    const gainParam = gained.compiled.params.find((p) => p.name === 'tower.gain.weight');
    expect(gainParam?.shape).toEqual([S, 1]);
    await Promise.all([plain.release(), gained.release()]);
  });

  it('encoder_shared_hidden: one hidden body for the K encoders, K linear heads on it', () => {
    const build = (config: Record<string, unknown>) => compile(buildCtrGraph(getModel('optmsm'), { ...BASE, num_shared: 2, ...config }, TINY_CTX));
    const [D, h, K] = [13, 6, 2]; // D_sh: 3 shared fields × 4 + the numeric input
    const separate = build({ encoder_hidden: [h] }).thetaSize;
    const shared = build({ encoder_hidden: [h], encoder_shared_hidden: true }).thetaSize;
    expect(separate - shared).toBe(K * (D * h + h) - (D * h + h));
    expect(build({ encoder_hidden: [], encoder_shared_hidden: true }).thetaSize).toBe(build({ encoder_hidden: [] }).thetaSize);
  });

  it('encoder_skip: the K heads read e_sh beside the shared body, and both paths get gradients', async () => {
    const config = { ...BASE, num_shared: 2, encoder_hidden: [6], encoder_shared_hidden: true };
    const [D, K, m] = [13, 2, BASE.repr_dim];
    const size = (extra: Record<string, unknown>) => compile(buildCtrGraph(getModel('optmsm'), { ...config, ...extra }, TINY_CTX)).thetaSize;
    expect(size({ encoder_skip: true }) - size({})).toBe(K * D * m);
    const h = await Harness.create(getModel('optmsm'), { ...config, encoder_skip: true });
    const step = await h.step(makeBatch(TINY_CTX, 40, 2));
    const moved = (prefix: string) => h.compiled.params.some((p) => p.name.startsWith(prefix) && step.gradTheta.subarray(p.offset, p.offset + p.size).some((g) => g !== 0));
    expect(h.compiled.params.map((p) => p.name)).toEqual(expect.arrayContaining(['shared.body.0.weight', 'shared.out.weight']));
    expect(moved('shared.body.')).toBe(true);
    expect(moved('shared.out.')).toBe(true);
    await h.release();
  });

  it('rejects encoder_skip without a shared encoder body', () => {
    const build = (config: Record<string, unknown>) => () => compile(buildCtrGraph(getModel('optmsm'), { ...BASE, encoder_skip: true, ...config }, TINY_CTX));
    for (const config of [{ encoder_hidden: [6] }, { encoder_hidden: [], encoder_shared_hidden: true }]) {
      expect(build(config)).toThrow(expect.objectContaining({ code: 'E_MODEL_CONFIG', location: 'model.encoder_skip' }));
    }
    expect(build({ encoder_hidden: [6], encoder_shared_hidden: true })).not.toThrow();
  });

  it("rejects combine 'own' when K != S", () => {
    const build = () => compile(buildCtrGraph(getModel('optmsm'), { ...BASE, combine: 'own', num_shared: 2 }, TINY_CTX));
    expect(build).toThrow(OptmsmError);
    expect(build).toThrow(expect.objectContaining({ code: 'E_MODEL_CONFIG', location: 'model.num_shared' }));
  });

  it('rejects unknown and invalid keys with their path', () => {
    const build = (config: unknown) => buildCtrGraph(getModel('optmsm'), config, TINY_CTX);
    expect(() => build({ lamda_orth: 1 })).toThrow(expect.objectContaining({ code: 'E_CONFIG_UNKNOWN_KEY', location: 'model.lamda_orth' }));
    expect(() => build({ combine: 'sum' })).toThrow(expect.objectContaining({ code: 'E_CONFIG_INVALID', location: 'model.combine' }));
  });

  it('adds lambda_orth · L_orth to the loss and reports L_orth', async () => {
    const batch = makeBatch(TINY_CTX, 24, 3);
    const off = await Harness.create(getModel('optmsm'), { ...BASE, lambda_orth: 0 });
    const on = await Harness.create(getModel('optmsm'), { ...BASE, lambda_orth: 2 });
    const a = await off.step(batch);
    const b = await on.step(batch);
    expect(a.aux.orth).toBeGreaterThan(0);
    expect(b.aux.orth).toBeCloseTo(a.aux.orth, 6);
    expect((b.loss - a.loss) / (2 * a.aux.orth)).toBeCloseTo(1, 5);
    await Promise.all([off.release(), on.release()]);
  });
});

describe('L_orth against hand computation', () => {
  async function evaluate(build: () => { loss: ReturnType<typeof input> }, feeds: Record<string, { data: Float32Array; shape: number[] }>) {
    const compiled = compile(() => {
      const { loss } = build();
      return { loss, outputs: { value: loss } };
    });
    const session = await Session.create(compiled.training, { threads: 1 });
    const out = await session.run(feeds);
    await session.release();
    return (out.loss.data as Float32Array)[0];
  }

  it('representation: mean over rows of Σ_{k<l} cos²', async () => {
    // row 1: (1,0,0) vs (1,1,0): cos² = 1/2;  row 2: (1,0,0) vs (0,2,0): 0  → mean 1/4
    const z = Float32Array.from([1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 2, 0]);
    const value = await evaluate(() => ({ loss: orthRepresentation(input('z', ['B', 2, 3])) }), { z: { data: z, shape: [2, 2, 3] } });
    expect(value).toBeCloseTo(0.25, 6);
    // three embeddings (1,0,0), (0,1,0), (1,1,0): 0 + 1/2 + 1/2
    const z3 = Float32Array.from([1, 0, 0, 0, 1, 0, 1, 1, 0]);
    const value3 = await evaluate(() => ({ loss: orthRepresentation(input('z', ['B', 3, 3])) }), { z: { data: z3, shape: [1, 3, 3] } });
    expect(value3).toBeCloseTo(1, 6);
  });

  it('parameter: Σ_{k<l} ||W_k W_lᵀ||²_F over (out × in) first-layer weights', async () => {
    // stored [in, out]: W_1 = I, W_2 = [[1,2],[3,4]] → paper W_2 = its transpose; W_1 W_2ᵀ = [[1,2],[3,4]] → 30
    const w = Float32Array.from([1, 0, 0, 1, 1, 2, 3, 4]);
    const value = await evaluate(() => ({ loss: reduceSum(orthParameter(input('w', [2, 2, 2])), []) }), { w: { data: w, shape: [2, 2, 2] } });
    expect(value).toBeCloseTo(30, 4);
  });
});

// A scenario-only context field in F_sp (a slot): h_sp is per sample, so only `condition: scenario` and the
// scenario code can be per scenario.
const CONTEXT_CTX = { ...TINY_CTX, fields: [...TINY_CTX.fields, field('slot', 'categorical', 'specific', 6)] };
const LINEAR = { ...BASE, encoder_hidden: [], orth: 'parameter' };

/** A field's first column in E, and E's width. */
function columns(ctx: typeof TINY_CTX, name: string): { start: number; width: number } {
  let start = 0;
  for (const f of ctx.fields.filter((x) => x.kind !== 'numeric')) {
    if (f.name === name) return { start, width: embeddingWidth(ctx.fields) };
    start += f.embeddingDim;
  }
  throw new Error(name);
}

describe('scenario code, linear encoders, condition: scenario', () => {
  it('the scenario code makes h_sp differ between scenarios whose embeddings are equal (all zero)', async () => {
    // SSH with one shared tower, so that what tells scenarios apart is what h_sp, the gate and c read.
    const h = await Harness.create(getModel('optmsm'), { ...SSH, scenario_code: 4 });
    const legacy = await Harness.create(getModel('optmsm'), { ...SSH, scenario_code: 0 });
    expect(h.compiled.params.find((p) => p.name === 'specific.scenario_code')?.shape).toEqual([3, 4]);
    expect(legacy.compiled.params.some((p) => p.name.endsWith('scenario_code'))).toBe(false);
    const batch = makeBatch(TINY_CTX, 30, 2);
    const { start, width } = columns(TINY_CTX, 'scenario');
    for (let b = 0; b < batch.size; b += 1) batch.E.fill(0, b * width + start, b * width + start + 4); // scenario columns
    const spread = (p: Float32Array) => {
      const means = [0, 1, 2].map((s) => { const v = [...p].filter((_, b) => batch.scenario[b] === s); return v.reduce((a, x) => a + x, 0) / v.length; });
      return Math.max(...means) - Math.min(...means);
    };
    // With every other field drawn alike for the three scenarios, only the code can tell them apart.
    const same = { ...batch, E: Float32Array.from(batch.E), numeric: new Float32Array(batch.numeric.length).fill(0.5) };
    for (let b = 0; b < same.size; b += 1) same.E.copyWithin(b * width, 0, start);
    expect(spread(await legacy.predict(same))).toBeLessThan(1e-6);
    expect(spread(await h.predict(same))).toBeGreaterThan(1e-4);
    await Promise.all([h.release(), legacy.release()]);
  });

  const cases: [string, Record<string, unknown>, typeof TINY_CTX][] = [
    ['linear encoders, mixture folded per scenario', LINEAR, TINY_CTX],
    ['linear encoders feeding SSH', { ...LINEAR, prediction: 'hyper' }, TINY_CTX],
    ['condition: scenario with a context field', { ...LINEAR, condition: 'scenario' }, CONTEXT_CTX],
    ['condition: scenario with a context field, SSH', { ...LINEAR, condition: 'scenario', prediction: 'hyper' }, CONTEXT_CTX],
    ['one hidden layer, the last layers folded per scenario', { ...LINEAR, encoder_hidden: [6], condition: 'scenario' }, CONTEXT_CTX],
    ['two hidden layers (the stacked MLP, mixed per sample)', { ...LINEAR, encoder_hidden: [6, 5], condition: 'scenario' }, CONTEXT_CTX],
    ['condition: scenario, representation orth, full generation', { ...SSH, condition: 'scenario', hyper_mode: 'full' }, CONTEXT_CTX],
  ];
  it.each(cases)('%s: per-scenario evaluation equals per-sample evaluation, and grouped routing the gather path', async (_label, config, ctx) => {
    const model = getModel('optmsm');
    const perScenario = await Harness.create(model, { ...config, hyper_generation: 'auto' }, ctx);
    const perSample = await Harness.create(model, { ...config, hyper_generation: 'per_sample' }, ctx);
    const gathered = await Harness.create(model, { ...config, hyper_generation: 'auto' }, ctx, 1, { routing: 'gather' });
    expect(perScenario.theta).toEqual(perSample.theta);
    const batch = makeBatch(ctx, 40, 5);
    const [a, b, c] = await Promise.all([perScenario.step(batch), perSample.step(batch), gathered.step(batch)]);
    for (const other of [b, c]) {
      expect(a.loss).toBeCloseTo(other.loss, 6);
      expectClose(a.probability, other.probability, 1e-6, 'probability');
      expectClose(a.gradTheta, other.gradTheta, 1e-5, 'grad/theta');
    }
    expectClose(a.gradE, c.gradE, 1e-5, 'grad/E (grouped vs gather)');
    // dL/dE: the scenario columns agree once summed per scenario; every other column row by row.
    const { start, width } = columns(ctx, 'scenario');
    const notScenario = (g: Float32Array) => g.filter((_, i) => i % width < start || i % width >= start + 4);
    expectClose(notScenario(a.gradE), notScenario(b.gradE), 1e-5, 'grad/E (other fields)');
    expectClose(scenarioColumnGrad(a.gradE, batch.scenario, width, start, 4), scenarioColumnGrad(b.gradE, batch.scenario, width, start, 4), 1e-5,
      'grad/E (scenario field, per scenario)');
    await Promise.all([perScenario.release(), perSample.release(), gathered.release()]);
  });
});
