// Every option a config can reach builds, runs a training step and a prediction with finite values; errors
// a user can cause are clear. (The default configurations go through the shared suite in models.test.ts.)
import { describe, expect, it } from 'vitest';
import { OptmsmError } from '../../src/errors.js';
import { getModel, resolveModelConfig, type ModelContext } from '../../src/models/index.js';
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
  ['adasparse', { hidden: [8, 4], form: 'binarization', epsilon: 0.5 }],
  ['adasparse', { hidden: [8], form: 'fusion', epsilon: 0.9, norm: 'none', sparsity_min: 0.1, sparsity_max: 0.2 }],
  ['adaptdhm', { hidden: [8, 4], clusters: 3, routing_iterations: 1, beta: 0.5, dropout: 0.1 }],
  ['hamur', { backbone_hidden: [8, 6, 4], adapter_dim: 3, rank: 2, hyper_hidden: [], form: 'large', backbone_norm: 'layer' }],
  ['m3oe', { shared_experts: 3, expert_hidden: [8, 4], tower_hidden: [], task_expert: false, norm: 'none', fusion_init: 0 }],
  ['apg', { hidden: [8], rank: 3, over_parameterization: null, generator_hidden: 4, condition: 'self' }],
  ['apg', { hidden: [8, 4], rank: 2, generator_hidden: 4, condition: 'input', decomposition: 'full', dropout: 0.1 }],
  ['hinet', { shared_experts: 1, specific_experts: 3, expert_hidden: [8, 4], task_experts: 1, task_expert_hidden: [4], tower_hidden: [], dropout: 0.1 }],
  ['sar-net', { shared_experts: 1, specific_experts: 1, expert_hidden: [8, 4], hidden: [], activation: 'tanh' }],
  ['epnet', { hidden: [8], gate_hidden: 4, gate_scale: 1 }],
  ['ppnet', { hidden: [8], gate_hidden: 4, personal_fields: ['item'] }],
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
  it.each(['optmsm', 'shared-bottom', 'm2m', 'star', 'pepnet', 'apg', 'adasparse', 'hinet', 'm3oe', 'hamur', 'sar-net'])('%s builds and trains', async (name) => {
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
  it('epnet and ppnet reject the keys their half fixes', () => {
    expect(() => resolveModelConfig(getModel('epnet'), { variant: 'full' })).toThrow(expect.objectContaining({ code: 'E_CONFIG_UNKNOWN_KEY' }));
    expect(() => resolveModelConfig(getModel('epnet'), { personal_fields: ['user'] })).toThrow(expect.objectContaining({ code: 'E_CONFIG_UNKNOWN_KEY' }));
    expect(() => resolveModelConfig(getModel('ppnet'), { variant: 'full' })).toThrow(expect.objectContaining({ code: 'E_CONFIG_UNKNOWN_KEY' }));
  });
  it('rejects personal fields that are not embedded fields', async () => {
    await expect(Harness.create(getModel('pepnet'), { personal_fields: ['age'] })).rejects.toThrow(OptmsmError);
  });
  it('needs an embedded scenario field', async () => {
    const ctx: ModelContext = { fields: TINY_FIELDS.filter((f) => f.scope === 'shared'), numScenarios: 2 };
    await expect(Harness.create(getModel('optmsm'), {}, ctx)).rejects.toThrow(expect.objectContaining({ code: 'E_MODEL_CONFIG' }));
  });
});
