// Every option a config can reach builds, runs a training step and a prediction with finite values; errors
// a user can cause are clear. (The default configurations go through the shared suite in models.test.ts.)
import { describe, expect, it } from 'vitest';
import { OptmsmError } from '../../src/errors.js';
import { getModel, type ModelContext } from '../../src/models/index.js';
import { field, Harness, makeBatch, TINY_CTX, TINY_FIELDS } from './harness.js';

const HYPER = { prediction: 'hyper', hyper_dim: 4, hyper_rank: 2 };
const CASES: [string, Record<string, unknown>][] = [
  ['shared-bottom', { ...HYPER, bottom_hidden: [8], tower_hidden: [4] }],
  ['shared-bottom', { ...HYPER, bottom_hidden: [8], tower_hidden: [4], hyper_mode: 'full', generate: 'all' }],
  ['shared-bottom', { ...HYPER, bottom_hidden: [8], tower_hidden: [4], hyper_mode: 'scale', generate: 'last' }],
  ['shared-bottom', { bottom_hidden: [8], tower_hidden: [4], norm: 'batch' }],
  ['shared-bottom', { bottom_hidden: [8], tower_hidden: [4], norm: 'layer', dropout: 0.2, activation: 'tanh' }],
  ['mmoe', { ...HYPER, expert_hidden: [8], tower_hidden: [4] }],
  ['mmoe', { num_experts: 5, expert_hidden: [8, 6], tower_hidden: [4], norm: 'batch', activation: 'leaky_relu' }],
  ['ple', { ...HYPER, expert_hidden: [8], tower_hidden: [4] }],
  ['ple', { num_levels: 3, specific_experts: 1, shared_experts: 2, expert_hidden: [8], tower_hidden: [4], dropout: 0.1 }],
  ['star', { hidden: [8, 4], aux_hidden: [], partitioned_norm: false }],
  ['star', { hidden: [8], aux_hidden: [4], pn_momentum: 0.5, dropout: 0.1 }],
  ['m2m', { num_experts: 3, expert_dim: 4, expert_hidden: [8], tower_layers: 0, output_hidden: [] }],
  ['pepnet', { hidden: [8, 4], gate_hidden: 4, variant: 'epnet_only' }],
  ['pepnet', { hidden: [8, 4], gate_hidden: 4, variant: 'ppnet_only', personal_fields: ['user', 'genre'] }],
  ['pepnet', { hidden: [8], gate_hidden: 4, stop_gradient: true }],
  ['optmsm', { repr_dim: 8, tower_hidden: [4], hyper_dim: 4, hyper_rank: 2, encoder_hidden: [8, 8], dropout: 0.1, activation: 'tanh' }],
];

describe.each(CASES)('%s %j', (name, config) => {
  it('trains a step and predicts finite probabilities', async () => {
    const h = await Harness.create(getModel(name), config);
    const batch = makeBatch(TINY_CTX, 32, 9);
    const step = await h.step(batch);
    expect(Number.isFinite(step.loss)).toBe(true);
    expect(step.gradTheta.every(Number.isFinite)).toBe(true);
    const p = await h.predict(batch);
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
    await h.release();
  });
});

describe('a dataset with more scenario-specific fields', () => {
  // A specific `slot` field besides the scenario: e_sp now varies within a scenario, so generation is per sample.
  const ctx: ModelContext = { ...TINY_CTX, fields: [...TINY_FIELDS, field('slot', 'categorical', 'specific', 7)] };
  it.each(['optmsm', 'shared-bottom', 'm2m', 'star', 'pepnet'])('%s builds and trains', async (name) => {
    const config = name === 'shared-bottom' ? HYPER : {};
    const auto = await Harness.create(getModel(name), config, ctx);
    const step = await auto.step(makeBatch(ctx, 24, 4));
    expect(Number.isFinite(step.loss)).toBe(true);
    await auto.release();
  });
});

describe('errors', () => {
  it('names an unknown model', () => {
    expect(() => getModel('mmoe2')).toThrow(expect.objectContaining({ code: 'E_MODEL_UNKNOWN', found: 'mmoe2' }));
  });
  it('rejects personal fields that are not embedded fields', async () => {
    await expect(Harness.create(getModel('pepnet'), { personal_fields: ['age'] })).rejects.toThrow(OptmsmError);
  });
  it('needs an embedded scenario field', async () => {
    const ctx: ModelContext = { fields: TINY_FIELDS.filter((f) => f.scope === 'shared'), numScenarios: 2 };
    await expect(Harness.create(getModel('optmsm'), {}, ctx)).rejects.toThrow(expect.objectContaining({ code: 'E_MODEL_CONFIG' }));
  });
});
