import { describe, expect, it } from 'vitest';
import { OptmsmError } from '../../src/errors.js';
import { evaluateByScenario, runMetricsSchema, smallSampleReason, splitMetricsSchema } from '../../src/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const u8 = (xs: number[]) => Uint8Array.from(xs);
const i32 = (xs: number[]) => Int32Array.from(xs);

describe('evaluateByScenario', () => {
  const pred = f64([0.9, 0.1, 0.8, 0.3, 0.2, 0.4, 0.6, 0.7, 0.5]);
  const label = u8([1, 0, 1, 0, 0, 0, 0, 0, 0]);
  const scenario = i32([0, 0, 0, 0, 1, 1, 1, 1, 1]);

  it('reports one-class and empty scenarios with auc null and a reason, never 0.5', () => {
    const r = evaluateByScenario(pred, label, scenario, ['home', 'search', 'feed']);
    expect(r.rows).toBe(9);
    expect(r.positives).toBe(2);
    expect(r.auc).toBe(1);
    expect(r.scenarios.home).toMatchObject({ rows: 4, positives: 2, auc: 1 });
    expect(r.scenarios.search).toMatchObject({
      rows: 5,
      positives: 0,
      auc: null,
      auc_undefined_reason: 'all 5 rows are negative: AUC is undefined',
    });
    expect(r.scenarios.search.logloss).toBeGreaterThan(0);
    expect(r.scenarios.search.calibration?.ratio).toBeNull();
    expect(r.scenarios.feed).toEqual({
      rows: 0,
      positives: 0,
      auc: null,
      auc_undefined_reason: 'no rows: AUC is undefined',
      logloss: null,
      calibration: { ratio: null, mean_prediction: null, observed_ctr: null },
    });
    expect(Object.keys(r.scenarios)).toEqual(['home', 'search', 'feed']);
    expect(r.gauc).toBeUndefined();
    expect(splitMetricsSchema.parse(r)).toEqual(r);
  });

  it('adds gAUC overall and per scenario when groups are given', () => {
    const groups = i32([1, 1, 2, 2, 1, 1, 2, 2, 2]);
    const r = evaluateByScenario(pred, label, scenario, ['home', 'search'], { groups });
    expect(r.gauc).toBe(1);
    expect(r.gauc_groups).toEqual({ groups: 2, groups_used: 2, rows_used: 9 });
    expect(r.scenarios.home.gauc).toBe(1);
    expect(r.scenarios.search.gauc).toBeNull();
  });

  it('gives a split with one class auc null too', () => {
    const r = evaluateByScenario(f64([0.2, 0.3]), u8([0, 0]), i32([0, 0]), ['a']);
    expect(r.auc).toBeNull();
    expect(r.auc_undefined_reason).toBe('all 2 rows are negative: AUC is undefined');
  });

  it('rejects out-of-range scenario ids, duplicate values and NaN predictions', () => {
    expect(() => evaluateByScenario(pred, label, scenario, ['only'])).toThrow(
      'evaluation: scenario id 1 at row 4 is out of range',
    );
    expect(() => evaluateByScenario(pred, label, scenario, ['a', 'a'])).toThrow('scenario values are not distinct');
    const bad = pred.slice();
    bad[3] = NaN;
    expect(() => evaluateByScenario(bad, label, scenario, ['a', 'b'])).toThrow(OptmsmError);
  });

  it('builds the scenario part of a metrics.json that the schema accepts', () => {
    const split = evaluateByScenario(pred, label, scenario, ['1', '2']);
    const metrics = {
      model: 'optmsm',
      seed: 1,
      best_epoch: 3,
      test: split,
      validation: split,
      parameters: { dense: 1000, embedding: 5000 },
    };
    expect(runMetricsSchema.parse(JSON.parse(JSON.stringify(metrics)))).toEqual(metrics);
    // A key from a later version is dropped, not an error; a wrong value is.
    expect(runMetricsSchema.parse({ ...metrics, later_key: 'x' })).toEqual(metrics);
    expect(() => runMetricsSchema.parse({ ...metrics, seed: 'one' })).toThrow();
  });

  it('flags a scenario with fewer than 30 positives or negatives, and says why', () => {
    const n = 200;
    const scenarioOf = Int32Array.from({ length: n }, (_, i) => (i < 100 ? 0 : 1));
    // Scenario a: 50 positives and 50 negatives; scenario b: 3 positives among 100 rows.
    const labels = Uint8Array.from({ length: n }, (_, i) => (i < 100 ? i % 2 : i < 103 ? 1 : 0));
    const scores = Float32Array.from({ length: n }, (_, i) => ((i * 37) % 101) / 101);
    const split = evaluateByScenario(scores, labels, scenarioOf, ['a', 'b']);
    expect(split.scenarios.a!.small_sample_reason).toBeUndefined();
    expect(split.scenarios.b!.small_sample_reason).toBe('3 positives (fewer than 30): the AUC is too noisy to compare');
    expect(split.small_sample_reason).toBeUndefined();
    expect(smallSampleReason(100, 71)).toBe('29 negatives (fewer than 30): the AUC is too noisy to compare');
    expect(smallSampleReason(60, 30)).toBeUndefined();
  });
});
