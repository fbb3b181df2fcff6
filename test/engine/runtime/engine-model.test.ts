import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type EngineBatch, EngineModel, type EngineModelOptions, type GraphSpec, add, assignBuffer, bceWithLogits, buffer, compile, concat,
  dropout, input, isTraining, linearOp, mul, param, reduceMean, reduceSum, relu, reshape, sigmoid, sub,
} from '../../../src/engine/index.js';
import { OptmsmError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'optmsm-engine-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tinyModel(rate: number): () => GraphSpec {
  return () => {
    const E = input('E', ['B', 8]);
    const numeric = input('numeric', ['B', 2]);
    const label = input('label', ['B']);
    const w1 = param('w1', [10, 6], { kind: 'xavier_uniform' });
    const b1 = param('b1', [6], { kind: 'zeros' });
    const w2 = param('w2', [6, 1], { kind: 'xavier_normal' });
    const h = dropout(relu(linearOp(concat([E, numeric], 1), w1, b1)), rate);
    const logit = reshape(linearOp(h, w2), ['B']);
    const mean = buffer('mean_logit', [1], { kind: 'zeros' });
    if (isTraining()) assignBuffer(mean, add(mul(mean, 0.9), mul(reshape(reduceMean(logit, [0]), [1]), 0.1)));
    const l2 = reduceSum(mul(w2, w2), [0, 1]);
    const loss = add(reduceMean(bceWithLogits(logit, label), [0]), mul(l2, 0.01));
    return { loss, aux: { l2 }, outputs: { probability: sigmoid(logit), centered: sub(logit, mean) }, gradInputs: ['E'] };
  };
}

const fields = [
  { name: 'item', vocabSize: 50, dim: 4, init: { kind: 'normal' as const, std: 0.1 } },
  { name: 'tags', vocabSize: 30, dim: 4, maxLen: 3, pooling: 'mean' as const },
];

function options(rate = 0.3, seed = 11): EngineModelOptions {
  return {
    compiled: compile(tinyModel(rate)),
    fields,
    optimizer: { name: 'adam', lr: 0.05 },
    sparseOptimizer: { name: 'adam', lr: 0.05 },
    seed,
    threads: 1,
  };
}

/** Label = item id is even, so the item embedding alone can learn it. */
function batch(k: number, size = 64): EngineBatch {
  const item = new Int32Array(size);
  const tags = new Int32Array(size * 3);
  const numeric = new Float32Array(size * 2);
  const label = new Float32Array(size);
  for (let b = 0; b < size; b++) {
    item[b] = 2 + ((b * 7 + k * 13) % 48);
    for (let j = 0; j < 3; j++) tags[b * 3 + j] = (b + j + k) % 4 === 0 ? 0 : 1 + ((b * 3 + j * 5 + k) % 29);
    numeric[b * 2] = ((b % 5) - 2) / 2;
    numeric[b * 2 + 1] = 0.5;
    label[b] = item[b] % 2 === 0 ? 1 : 0;
  }
  return { size, ids: [item, tags], dense: { numeric: { data: numeric, shape: [size, 2] }, label: { data: label, shape: [size] } } };
}

describe('EngineModel', () => {
  it('trains: the loss falls, aux losses and outputs come back, buffers update', async () => {
    const model = await EngineModel.create(options());
    expect(model.parameterCounts).toEqual({ dense: 10 * 6 + 6 + 6, embedding: 50 * 4 + 30 * 4 });
    const first = await model.trainStep(batch(0));
    expect(first.skipped).toBe(false);
    expect(first.outputs.probability.length).toBe(64);
    expect(first.aux.l2).toBeGreaterThan(0);
    expect(model.buffers.mean_logit[0]).not.toBe(0);
    let last = first.loss;
    for (let k = 1; k < 60; k++) last = (await model.trainStep(batch(k))).loss;
    expect(last).toBeLessThan(first.loss * 0.5);
    expect(model.step).toBe(60);
    const predicted = await model.predict(batch(0));
    expect(predicted.probability.length).toBe(64);
    expect(predicted.centered.length).toBe(64);
    await model.dispose();
  });

  it('predicts what the training graph computes (no dropout)', async () => {
    const model = await EngineModel.create(options(0));
    const b = batch(3);
    const predicted = await model.predict(b);
    const trained = await model.trainStep(b);
    expect(Array.from(predicted.probability)).toEqual(Array.from(trained.outputs.probability));
    // A smaller batch after a larger one (an epoch's last) reuses the buffers without stale values.
    const fresh = await EngineModel.create(options(0));
    fresh.setState(model.getState());
    const small = batch(4, 37);
    expect(Array.from((await model.predict(small)).probability)).toEqual(Array.from((await fresh.predict(small)).probability));
    expect((await model.trainStep(small)).loss).toBe((await fresh.trainStep(small)).loss);
    await Promise.all([model.dispose(), fresh.dispose()]);
  });

  it('is deterministic per seed, dropout masks included', async () => {
    const run = async (seed: number) => {
      const model = await EngineModel.create(options(0.3, seed));
      const losses = [];
      for (let k = 0; k < 4; k++) losses.push((await model.trainStep(batch(k))).loss);
      await model.dispose();
      return losses;
    };
    const a = await run(5);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
  });

  it('gives the same bits on one thread and with the helper (dense Adam there), clipped or not, for any dense optimizer', async () => {
    const run = async (sparseThreads: 1 | 2, clipNorm: number | null, optimizer: EngineModelOptions['optimizer']) => {
      const model = await EngineModel.create({ ...options(0.3, 5), sparseThreads, clipNorm, optimizer });
      for (let k = 0; k < 4; k++) await model.trainStep(batch(k, 256));
      const state = model.getState();
      await model.dispose();
      return state;
    };
    const cases = [
      { clipNorm: null, optimizer: { name: 'adam', lr: 0.05 } },
      { clipNorm: 0.5, optimizer: { name: 'adam', lr: 0.05 } },
      { clipNorm: null, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 } },
    ] as const;
    for (const { clipNorm, optimizer } of cases) {
      const [one, two] = [await run(1, clipNorm, optimizer), await run(2, clipNorm, optimizer)];
      expect(two.step).toBe(4);
      expect(two.theta).toEqual(one.theta);
      expect(two.tables).toEqual(one.tables);
      expect(two.dense).toEqual(one.dense);
    }
  });

  it('saves and loads bit-exactly: a resumed run equals the uninterrupted one', async () => {
    const a = await EngineModel.create(options());
    for (let k = 0; k < 3; k++) await a.trainStep(batch(k));
    a.setLearningRate(0.02);
    const file = join(dir, 'state.bin');
    a.save(file);
    const b = await EngineModel.create(options(0.3, 999));
    b.load(file);
    expect(b.step).toBe(3);
    expect(b.learningRates).toEqual(a.learningRates);
    for (let k = 3; k < 6; k++) {
      const [ra, rb] = [await a.trainStep(batch(k)), await b.trainStep(batch(k))];
      expect(rb.loss).toBe(ra.loss);
    }
    const [sa, sb] = [a.getState(), b.getState()];
    expect(sb.theta).toEqual(sa.theta);
    expect(sb.tables).toEqual(sa.tables);
    expect(sb.buffers).toEqual(sa.buffers);
    expect(sb.dense).toEqual(sa.dense);
    expect(sb.sparse).toEqual(sa.sparse);
    expect(sb.rng).toEqual(sa.rng);
    // getState/setState round-trips the same way without a file.
    const c = await EngineModel.create(options(0.3, 3));
    c.setState(sa);
    expect((await c.trainStep(batch(9))).loss).toBe((await a.trainStep(batch(9))).loss);
    await Promise.all([a.dispose(), b.dispose(), c.dispose()]);
  });

  it('rejects a damaged file and a state from another model', async () => {
    const model = await EngineModel.create(options());
    const file = join(dir, 'damaged.bin');
    model.save(file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 1;
    writeFileSync(file, bytes);
    expect(() => model.load(file)).toThrow(/checksum/);
    const other = await EngineModel.create({ ...options(), fields: [fields[0], { ...fields[1], vocabSize: 31 }] });
    other.save(file);
    try {
      model.load(file);
      expect.unreachable();
    } catch (error) {
      expect((error as OptmsmError).code).toBe('E_ENGINE_STATE');
      expect((error as OptmsmError).message).toMatch(/embedding table tags/);
    }
    await Promise.all([model.dispose(), other.dispose()]);
  });

  it('stops on a non-finite loss naming the step, or skips the batch when asked', async () => {
    const bad = batch(1);
    (bad.dense.numeric.data as Float32Array)[0] = Number.NaN;
    const strict = await EngineModel.create(options());
    await strict.trainStep(batch(0));
    await expect(strict.trainStep(bad)).rejects.toMatchObject({ code: 'E_TRAIN_NON_FINITE', message: expect.stringMatching(/step 2/) });
    await strict.dispose();

    const lenient = await EngineModel.create({ ...options(), onNonFinite: 'skip' });
    const before = lenient.getState();
    const result = await lenient.trainStep(bad);
    expect(result.skipped).toBe(true);
    expect(lenient.skippedSteps).toBe(1);
    expect(lenient.step).toBe(0);
    expect(lenient.getState().theta).toEqual(before.theta);
    expect(lenient.getState().tables).toEqual(before.tables);
    expect((await lenient.trainStep(batch(2))).skipped).toBe(false);
    await lenient.dispose();
  });

  it('holds still at learning rate 0 and clips when asked', async () => {
    const model = await EngineModel.create({ ...options(), clipNorm: 1e-3 });
    model.setLearningRate(0);
    expect(model.learningRates).toEqual({ dense: 0, sparse: 0 });
    const before = model.getState();
    const r = await model.trainStep(batch(0));
    expect(r.gradNorm).toBeGreaterThan(1e-3);
    expect(model.getState().theta).toEqual(before.theta);
    expect(model.getState().tables).toEqual(before.tables);
    await model.dispose();
  });

  it('gives the gradients a step would apply without changing any state', async () => {
    const sgd = { ...options(0), optimizer: { name: 'sgd' as const, lr: 1, momentum: 0, weightDecay: 0 } };
    const model = await EngineModel.create(sgd);
    const b = batch(2);
    const before = model.getState();
    const grads = await model.gradients(b);
    expect(model.getState()).toEqual(before);
    expect(grads.embeddings.length).toBe(64 * 8);
    const step = await model.trainStep(b);
    expect(grads.loss).toBe(step.loss);
    expect(Array.from(grads.outputs.probability)).toEqual(Array.from(step.outputs.probability));
    // Plain SGD at lr 1: theta moved by exactly -dL/dθ.
    const moved = model.theta.map((t, i) => before.theta[i] - t);
    moved.forEach((d, i) => expect(d).toBeCloseTo(grads.theta[i], 6));
    await model.dispose();
  });

  it('lets a prediction run while a training step awaits its graph', async () => {
    const [a, b] = await Promise.all([EngineModel.create(options()), EngineModel.create(options())]);
    const [trained] = await Promise.all([a.trainStep(batch(0)), a.predict(batch(1))]);
    expect((await b.trainStep(batch(0))).loss).toBe(trained.loss);
    expect(a.getState().tables).toEqual(b.getState().tables);
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it('reports inputs that do not fit, naming them', async () => {
    const model = await EngineModel.create(options());
    const b = batch(0);
    b.dense.numeric = { data: new Float32Array(3), shape: [1, 3] };
    await expect(model.trainStep(b)).rejects.toMatchObject({ code: 'E_ENGINE_RUNTIME', location: 'numeric' });
    await model.dispose();
  });
});

describe('EngineModel with exportModel', () => {
  it('exports a self-contained model (shared-memory tables included) that predicts what predict() does', async () => {
    const { exportModel } = await import('../../../src/engine/index.js');
    const ort = await import('onnxruntime-node');
    const model = await EngineModel.create(options(0.3));
    for (let k = 0; k < 3; k++) await model.trainStep(batch(k));
    const bytes = exportModel(model.compiled, { theta: model.theta, buffers: model.buffers }, {
      fields: fields.map((f) => ({ name: f.name, table: model.store.table(f.name).data, dim: f.dim, maxLen: f.maxLen ?? 1, pooling: f.pooling ?? 'mean' })),
    });
    const session = await ort.InferenceSession.create(bytes);
    const b = batch(5);
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      'ids/item': new ort.Tensor('int32', b.ids[0], [b.size, 1]),
      'ids/tags': new ort.Tensor('int32', b.ids[1], [b.size, 3]),
      numeric: new ort.Tensor('float32', b.dense.numeric.data as Float32Array, [b.size, 2]),
    };
    const exported = (await session.run(feeds))['out/probability'].data as Float32Array;
    const predicted = (await model.predict(b)).probability;
    for (let i = 0; i < b.size; i++) expect(exported[i]).toBeCloseTo(predicted[i], 6);
    await session.release();
    await model.dispose();
  });
});
