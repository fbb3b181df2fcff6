// The prior logit (train.prior): a constant per scenario (or one for all) added to a model's logit, the same for
// every model, in training and inference.
import { afterAll, describe, expect, it } from 'vitest';
import { getModel } from '../../src/models/index.js';
import { Harness, makeBatch, TINY_CTX } from './harness.js';

const logit = (p: number) => Math.log(p / (1 - p));

describe('prior logit', () => {
  const harnesses: Harness[] = [];
  afterAll(async () => Promise.all(harnesses.map((h) => h.release())));

  for (const [model, config] of [
    ['shared-bottom', { bottom_hidden: [8], tower_hidden: [4] }],
    ['optmsm', { repr_dim: 8, tower_hidden: [8, 4], num_shared: 2, hyper_dim: 4, hyper_rank: 2 }],
    ['star', { hidden: [8, 4], aux_hidden: [4] }],
  ] as const) {
    it(`${model}: shifts every logit by its scenario's prior, in training and in inference`, async () => {
      const prior = [-2.5, 0.75, 1.5];
      const plain = await Harness.create(getModel(model), config, TINY_CTX, 3);
      const shifted = await Harness.create(getModel(model), config, { ...TINY_CTX, priorLogit: prior }, 3);
      harnesses.push(plain, shifted);
      expect(shifted.compiled.thetaSize).toBe(plain.compiled.thetaSize); // a constant, not a weight
      const batch = makeBatch(TINY_CTX, 24, 5);
      const [a, b] = [await plain.step(batch), await shifted.step(batch)];
      const [pa, pb] = [await plain.predict(batch), await shifted.predict(batch)];
      for (let i = 0; i < batch.size; i += 1) {
        const s = batch.scenario[i]!;
        expect(logit(b.probability[i]!) - logit(a.probability[i]!)).toBeCloseTo(prior[s]!, 4);
        expect(logit(pb[i]!) - logit(pa[i]!)).toBeCloseTo(prior[s]!, 4);
      }
      expect(b.loss).not.toBeCloseTo(a.loss, 3);
    });
  }

  it('one value shifts every scenario alike', async () => {
    const model = getModel('shared-bottom');
    const config = { bottom_hidden: [8], tower_hidden: [4] };
    const plain = await Harness.create(model, config, TINY_CTX, 3);
    const shifted = await Harness.create(model, config, { ...TINY_CTX, priorLogit: [-1.25] }, 3);
    harnesses.push(plain, shifted);
    const batch = makeBatch(TINY_CTX, 12, 9);
    const [pa, pb] = [await plain.predict(batch), await shifted.predict(batch)];
    for (let i = 0; i < batch.size; i += 1) expect(logit(pb[i]!) - logit(pa[i]!)).toBeCloseTo(-1.25, 4);
  });
});
