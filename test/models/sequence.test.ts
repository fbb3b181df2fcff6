// Sequence fields pooled by attention: every model takes them (buildCtrGraph pools them with DIN's target
// attention, SAR-Net with its scenario-specific transfer attention), gradients reach the behaviour embeddings,
// padding positions change nothing, inference and the exported model give the training forward, and SAR-Net's
// transfer parameters stay routed.
import { afterAll, describe, expect, it } from 'vitest';
import { exportModel, Session } from '../../src/engine/index.js';
import { countParameters, embeddingWidth, getModel, type FieldInfo, type ModelContext } from '../../src/models/index.js';
import { Harness, makeBatch, TINY_CTX, TINY_FIELDS, type Batch } from './harness.js';

const history = (maxLen: number): FieldInfo => ({
  name: 'history', kind: 'sequence', scope: 'shared', vocabSize: 30, embeddingDim: 4, maxLen, pooling: 'attention', vocabulary: 'item',
});
const ctxWith = (maxLen: number): ModelContext => ({ ...TINY_CTX, fields: [...TINY_FIELDS.slice(0, 3), history(maxLen), ...TINY_FIELDS.slice(3)] });
const SEQ_CTX = ctxWith(3);

const CONFIGS: Record<string, Record<string, unknown>> = {
  'shared-bottom': { bottom_hidden: [8], tower_hidden: [4], activation: 'tanh' },
  optmsm: { repr_dim: 8, tower_hidden: [8, 4], hyper_dim: 4, hyper_rank: 2, num_shared: 2, activation: 'tanh' },
  'sar-net': { shared_experts: 2, specific_experts: 2, expert_hidden: [4], hidden: [4], activation: 'tanh', attention_activation: 'tanh' },
  star: { hidden: [8, 4], aux_hidden: [4], activation: 'tanh' },
};

const harnesses: Harness[] = [];
afterAll(async () => Promise.all(harnesses.map((h) => h.release())));
async function harness(name: string, ctx = SEQ_CTX, config = CONFIGS[name]): Promise<Harness> {
  const h = await Harness.create(getModel(name), config, ctx, 3);
  harnesses.push(h);
  return h;
}

/** E's columns of the sequence field: after user, item and genre (3 · 4). */
const SEQ_START = 12;

describe.each(Object.keys(CONFIGS))('%s with a sequence field', (name) => {
  it('trains through the attention pooling (finite differences on θ and the behaviour embeddings)', async () => {
    const h = await harness(name);
    const batch = makeBatch(SEQ_CTX, 40, 5);
    const base = await h.step(batch);
    const attention = h.compiled.params.filter((p) => p.name.includes('attention'));
    expect(attention.length).toBeGreaterThan(0);
    const eps = 1e-2;
    const loss = async (theta: Float32Array, E: Float32Array) => (await h.step({ ...batch, E }, theta)).loss;
    for (const p of attention) {
      let j = p.offset;
      for (let k = p.offset; k < p.offset + p.size; k += 1) if (Math.abs(base.gradTheta[k]) > Math.abs(base.gradTheta[j])) j = k;
      const [plus, minus] = [Float32Array.from(h.theta), Float32Array.from(h.theta)];
      plus[j] += eps;
      minus[j] -= eps;
      const fd = ((await loss(plus, batch.E)) - (await loss(minus, batch.E))) / (2 * eps);
      expect(Math.abs(fd - base.gradTheta[j]), `${p.name}`).toBeLessThan(2e-3 + 0.05 * Math.abs(base.gradTheta[j]));
    }
    // A behaviour embedding of a row whose history is not empty.
    const width = embeddingWidth(SEQ_CTX.fields);
    const row = [...Array(batch.size).keys()].find((b) => batch.E[b * width + SEQ_START] !== 0)!;
    const j = row * width + SEQ_START + 1;
    const [plus, minus] = [Float32Array.from(batch.E), Float32Array.from(batch.E)];
    plus[j] += eps;
    minus[j] -= eps;
    const fd = ((await loss(h.theta, plus)) - (await loss(h.theta, minus))) / (2 * eps);
    expect(base.gradE[j]).not.toBe(0);
    expect(Math.abs(fd - base.gradE[j])).toBeLessThan(2e-3 + 0.05 * Math.abs(base.gradE[j]));
  });

  it('predicts in inference and from the exported model as in training', async () => {
    const h = await harness(name);
    const batch = makeBatch(SEQ_CTX, 24, 8);
    const { probability, next } = await h.step(batch);
    Object.assign(h.buffers, next); // STAR's running averages of this batch (momentum 0.1) differ from its statistics
    const inferred = await h.predict(batch);
    if (h.compiled.buffers.length === 0) for (let i = 0; i < batch.size; i += 1) expect(inferred[i]).toBeCloseTo(probability[i], 5);
    const session = await Session.create(exportModel(h.compiled, { theta: h.theta, buffers: h.buffers }), { threads: 1 });
    const out = await session.run({
      E: { data: batch.E, shape: [batch.size, embeddingWidth(SEQ_CTX.fields)] },
      numeric: { data: batch.numeric, shape: [batch.size, 1] },
      scenario: { data: batch.scenario, shape: [batch.size], dtype: 'int32' },
    });
    const exported = out['out/probability'].data as Float32Array;
    for (let i = 0; i < batch.size; i += 1) expect(exported[i]).toBeCloseTo(inferred[i], 6);
    await session.release();
  });
});

describe('padding', () => {
  it('a history padded to max_len 3 predicts what the same ids at max_len 1 do', async () => {
    const short = await harness('shared-bottom', ctxWith(1));
    const long = await harness('shared-bottom', ctxWith(3));
    expect(long.theta).toEqual(short.theta);
    const batch = makeBatch(ctxWith(1), 30, 4);
    const w1 = embeddingWidth(ctxWith(1).fields);
    const w3 = embeddingWidth(ctxWith(3).fields);
    // The same rows with two zero (padding) positions after the one behaviour.
    const E = new Float32Array(batch.size * w3);
    for (let b = 0; b < batch.size; b += 1) {
      E.set(batch.E.subarray(b * w1, b * w1 + SEQ_START + 4), b * w3);
      E.set(batch.E.subarray(b * w1 + SEQ_START + 4, (b + 1) * w1), b * w3 + SEQ_START + 12);
    }
    const padded: Batch = { ...batch, E };
    const [a, b] = [await short.predict(batch), await long.predict(padded)];
    for (let i = 0; i < batch.size; i += 1) expect(b[i]).toBeCloseTo(a[i], 6);
  });
});

describe('sar-net', () => {
  it("keeps its transfer parameters routed: another scenario's never move a sample", async () => {
    const h = await harness('sar-net');
    const batch = makeBatch(SEQ_CTX, 30, 6);
    const before = await h.predict(batch);
    const theta = Float32Array.from(h.theta);
    const transfer = h.compiled.params.filter((p) => p.name.startsWith('transfer_attention.') && p.shape[0] === 3);
    expect(transfer.map((p) => p.name)).toEqual(['transfer_attention.history.weight', 'transfer_attention.history.bias']);
    for (const p of transfer) for (let j = 0; j < p.size / 3; j += 1) theta[p.offset + p.size / 3 + j] += 0.5; // scenario 1
    const after = await h.predict(batch, theta);
    let changed = 0;
    for (let i = 0; i < batch.size; i += 1) {
      if (batch.scenario[i] === 1) changed += after[i] !== before[i] ? 1 : 0;
      else expect(after[i]).toBe(before[i]);
    }
    expect(changed).toBeGreaterThan(0);
  });
});

it('counts the shared embedding table once', async () => {
  const h = await harness('shared-bottom');
  expect(countParameters(h.compiled, SEQ_CTX.fields).embedding).toBe(20 * 4 + 30 * 4 + 6 * 4 + 5 * 4);
});
