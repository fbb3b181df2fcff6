import { describe, expect, it } from 'vitest';
import { calibration, LOGLOSS_EPS, logLoss, reliabilityCurve } from '../../src/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const u8 = (xs: number[]) => Uint8Array.from(xs);

describe('logLoss', () => {
  it('is the mean binary cross-entropy (hand-worked)', () => {
    const expected = -(Math.log(0.8) + Math.log(1 - 0.4) + Math.log(0.5)) / 3;
    expect(logLoss(f64([0.8, 0.4, 0.5]), u8([1, 0, 1]))).toBeCloseTo(expected, 15);
  });

  it('clips at 1e-7 so a confident miss costs -ln(1e-7), not Infinity', () => {
    expect(LOGLOSS_EPS).toBe(1e-7);
    expect(logLoss(f64([0]), u8([1]))).toBeCloseTo(-Math.log(1e-7), 12);
    expect(logLoss(f64([1]), u8([0]))).toBeCloseTo(-Math.log(1e-7), 6);
    expect(logLoss(f64([1, 0]), u8([1, 0]))).toBeCloseTo(-Math.log(1 - 1e-7), 12);
  });

  it('is null for no rows and throws for logits or NaN', () => {
    expect(logLoss(f64([]), u8([]))).toBeNull();
    expect(() => logLoss(f64([0.5, 1.5]), u8([1, 0]))).toThrow('LogLoss: prediction 1 is not a probability');
    expect(() => logLoss(f64([NaN]), u8([1]))).toThrow('LogLoss: prediction 0 is not finite');
  });
});

describe('calibration', () => {
  it('reports mean prediction, observed CTR and their ratio', () => {
    const c = calibration(f64([0.1, 0.3, 0.2, 0.4]), u8([0, 1, 0, 0]));
    expect(c.mean_prediction).toBeCloseTo(0.25, 15);
    expect(c.observed_ctr).toBe(0.25);
    expect(c.ratio).toBeCloseTo(1, 15);
  });

  it('has a null ratio without positives and nulls without rows', () => {
    expect(calibration(f64([0.1, 0.2]), u8([0, 0]))).toEqual({ ratio: null, mean_prediction: 0.15000000000000002, observed_ctr: 0 });
    expect(calibration(f64([]), u8([]))).toEqual({ ratio: null, mean_prediction: null, observed_ctr: null });
  });
});

describe('reliabilityCurve', () => {
  it('cuts rows sorted by prediction into equal-count bins (hand-worked)', () => {
    const curve = reliabilityCurve(f64([0.9, 0.1, 0.8, 0.2, 0.5]), u8([1, 0, 1, 1, 0]), 2);
    // sorted: 0.1 (0), 0.2 (1) | 0.5 (0), 0.8 (1), 0.9 (1)
    expect(curve).toHaveLength(2);
    expect(curve[0]).toEqual({ rows: 2, mean_prediction: expect.closeTo(0.15, 12), observed_ctr: 0.5 });
    expect(curve[1]).toEqual({ rows: 3, mean_prediction: expect.closeTo(2.2 / 3, 12), observed_ctr: 2 / 3 });
  });

  it('has at most one bin per row, none for no rows, and rejects NaN', () => {
    expect(reliabilityCurve(f64([0.3, 0.6]), u8([0, 1]), 10).map((b) => b.rows)).toEqual([1, 1]);
    expect(reliabilityCurve(f64([]), u8([]))).toEqual([]);
    expect(() => reliabilityCurve(f64([NaN]), u8([1]))).toThrow('not finite');
  });
});
