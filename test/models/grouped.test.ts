// Grouped routing (the batch sorted by scenario inside the graph, one product per scenario group) against the
// gather path (a per-sample weight copy): same outputs, loss, dL/dθ, dL/dE and buffer updates, on rows whose
// scenarios are shuffled and where one scenario is absent.
import { afterAll, describe, expect, it } from 'vitest';
import { getModel } from '../../src/models/index.js';
import { Harness, makeBatch, TINY_CTX, type Batch } from './harness.js';

const CASES: [string, string, Record<string, unknown>][] = [
  ['optmsm', 'towers', { repr_dim: 8, tower_hidden: [8, 4], num_shared: 2, prediction: 'towers' }],
  ['optmsm', 'residual (shared tower + routed corrections)', { repr_dim: 8, tower_hidden: [8, 4], num_shared: 2, prediction: 'residual', residual_hidden: [4] }],
  ['optmsm', 'encoders sharing a hidden layer', { repr_dim: 8, tower_hidden: [8, 4], num_shared: 2, encoder_hidden: [6], encoder_shared_hidden: true }],
  ['optmsm', 'encoders sharing a hidden layer, with the skip', { repr_dim: 8, tower_hidden: [8, 4], num_shared: 2, encoder_hidden: [6], encoder_shared_hidden: true, encoder_skip: true }],
  ['optmsm', 'residual with a gain per scenario', { repr_dim: 8, tower_hidden: [8, 4], num_shared: 2, prediction: 'residual', residual_hidden: [], residual_gain: true }],
  ['optmsm', 'towers, layer norm', { repr_dim: 8, tower_hidden: [8, 4], num_shared: 2, prediction: 'towers', norm: 'layer' }],
  ['shared-bottom', 'towers, batch norm', { bottom_hidden: [8], tower_hidden: [4], norm: 'batch' }],
  ['mmoe', 'towers', { num_experts: 2, expert_hidden: [8], tower_hidden: [4] }],
  ['mmoe', 'hyper prediction, routed gates', { num_experts: 2, expert_hidden: [8], tower_hidden: [4], prediction: 'hyper', hyper_dim: 4, hyper_rank: 2 }],
  ['ple', 'two levels', { num_levels: 2, shared_experts: 2, expert_hidden: [8], tower_hidden: [4] }],
  ['ple', 'two-layer experts ([B, K, in] inputs)', { num_levels: 1, expert_hidden: [8, 4], tower_hidden: [4] }],
  ['star', 'partitioned norm', { hidden: [8, 4], aux_hidden: [4] }],
  ['optmsm', 'hyper, decomposed', { repr_dim: 8, tower_hidden: [8, 4], num_shared: 2, prediction: 'hyper', hyper_dim: 4, hyper_rank: 2 }],
  ['optmsm', 'hyper, full, all layers', { repr_dim: 8, tower_hidden: [8, 4], num_shared: 2, prediction: 'hyper', hyper_dim: 4, hyper_mode: 'full', generate: 'all' }],
  ['shared-bottom', 'hyper, decomposed', { bottom_hidden: [8], tower_hidden: [4], prediction: 'hyper', hyper_dim: 4, hyper_rank: 2 }],
  ['m2m', 'meta units ([B, K, in] attention)', { num_experts: 2, expert_dim: 4, output_hidden: [4] }],
  ['sar-net', 'routed experts and gate', { shared_experts: 2, specific_experts: 2, expert_hidden: [4], hidden: [4] }],
  ['hamur', 'routed backbone, domain norm', { backbone_hidden: [8, 4], adapter_dim: 5, rank: 2, hyper_hidden: [4], form: 'large' }],
  ['m3oe', 'routed gates and towers', { shared_experts: 2, expert_hidden: [8], tower_hidden: [4] }],
  ['hinet', 'without SAN (routed specific experts)', { expert_hidden: [4], task_expert_hidden: [4], tower_hidden: [4], san: false }],
  ['apg', 'per-scenario generated cores', { hidden: [8, 4], rank: 2, over_parameterization: 3, generator_hidden: 4 }],
  ['apg', 'per-scenario generated full weights', { hidden: [4], generator_hidden: 4, decomposition: 'full' }],
];

/** Rows of a batch in a shuffled order, without any row of scenario 1. */
function shuffledWithoutScenario1(batch: Batch): Batch {
  const rows = [...Array(batch.size).keys()].filter((b) => batch.scenario[b] !== 1);
  for (let i = rows.length - 1; i > 0; i -= 1) {
    const j = (i * 7919 + 13) % (i + 1);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const width = batch.E.length / batch.size;
  const nNumeric = batch.numeric.length / batch.size;
  return {
    size: rows.length,
    E: Float32Array.from(rows.flatMap((b) => [...batch.E.subarray(b * width, (b + 1) * width)])),
    numeric: Float32Array.from(rows.flatMap((b) => [...batch.numeric.subarray(b * nNumeric, (b + 1) * nNumeric)])),
    scenario: Int32Array.from(rows.map((b) => batch.scenario[b])),
    label: Float32Array.from(rows.map((b) => batch.label[b])),
  };
}

function expectClose(got: Float32Array, want: Float32Array, what: string, tol = 1e-5): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i += 1) {
    expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
  }
}

describe.each(CASES)('%s (%s)', (name, _variant, config) => {
  const harnesses: Harness[] = [];
  afterAll(async () => Promise.all(harnesses.map((h) => h.release())));

  it('grouped routing equals the gather path on shuffled rows with an absent scenario', async () => {
    const grouped = await Harness.create(getModel(name), config, TINY_CTX, 3);
    const gathered = await Harness.create(getModel(name), config, TINY_CTX, 3, { routing: 'gather' });
    harnesses.push(grouped, gathered);
    expect(grouped.theta).toEqual(gathered.theta);
    // The grouped graph sorts (TopK) and multiplies per group; the reference graph does neither.
    const has = (h: Harness, op: string) => Buffer.from(h.compiled.training).includes(op);
    expect([has(grouped, 'TopK'), has(gathered, 'TopK')]).toEqual([true, false]);
    const batch = shuffledWithoutScenario1(makeBatch(TINY_CTX, 40, 5));
    expect(new Set(batch.scenario)).toEqual(new Set([0, 2]));
    const [a, b] = await Promise.all([grouped.step(batch), gathered.step(batch)]);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-6);
    expectClose(a.probability, b.probability, 'probability');
    expectClose(a.gradTheta, b.gradTheta, 'grad/theta');
    expectClose(a.gradE, b.gradE, 'grad/E');
    for (const key of Object.keys(b.next)) expectClose(a.next[key], b.next[key], `next/${key}`);
    expectClose(await grouped.predict(batch), await gathered.predict(batch), 'inference probability');
  });
});
