import { describe, expect, it } from 'vitest';
import { OptmsmError } from '../../src/errors.js';
import { aucUndefinedReason, rocAuc } from '../../src/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const u8 = (xs: number[]) => Uint8Array.from(xs);

describe('rocAuc', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc(f64([0.1, 0.2, 0.8, 0.9]), u8([0, 0, 1, 1])).auc).toBe(1);
    expect(rocAuc(f64([0.9, 0.8, 0.2, 0.1]), u8([0, 0, 1, 1])).auc).toBe(0);
  });

  it('counts a tied positive/negative pair as half (hand-worked)', () => {
    // Pairs (pos, neg): pos 0.5 vs negs {0.2, 0.5, 0.7} → 1 + ½ + 0; pos 0.7 vs {0.2, 0.5, 0.7} → 1 + 1 + ½.
    // Total 4 of 6 pairs.
    expect(rocAuc(f64([0.2, 0.5, 0.7, 0.5, 0.7]), u8([0, 0, 0, 1, 1])).auc).toBeCloseTo(4 / 6, 15);
  });

  it('handles ties inside one class and across classes (hand-worked)', () => {
    // negs {0.3, 0.3, 0.6}, pos {0.3, 0.6, 0.6, 0.9}:
    // 0.3 → 0 + ½·2 = 1; 0.6 → 2 + ½ = 2.5 (twice); 0.9 → 3. Sum 9 of 12.
    const pred = f64([0.3, 0.6, 0.3, 0.9, 0.6, 0.6, 0.3]);
    const label = u8([0, 1, 1, 1, 0, 1, 0]);
    expect(rocAuc(pred, label).auc).toBe(9 / 12);
  });

  it('is exactly 0.5 when every prediction is equal', () => {
    expect(rocAuc(new Float32Array(7).fill(0.3), u8([0, 1, 1, 0, 0, 1, 0])).auc).toBe(0.5);
  });

  it('treats -0 and +0 as one value', () => {
    expect(rocAuc(f64([-0, 0]), u8([1, 0])).auc).toBe(0.5);
  });

  it('returns null with a reason for one class, never 0.5', () => {
    expect(rocAuc(f64([0.1, 0.2, 0.3, 0.4, 0.5]), u8([0, 0, 0, 0, 0]))).toEqual({
      auc: null,
      reason: 'all 5 rows are negative: AUC is undefined',
    });
    expect(rocAuc(f64([0.1, 0.2]), u8([1, 1])).reason).toBe('all 2 rows are positive: AUC is undefined');
    expect(rocAuc(f64([]), u8([]))).toEqual({ auc: null, reason: 'no rows: AUC is undefined' });
    expect(aucUndefinedReason(4, 2)).toBeUndefined();
  });

  it('throws OptmsmError for a non-finite prediction instead of returning NaN', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const err = (() => {
        try {
          rocAuc(f64([0.1, bad, 0.3]), u8([0, 1, 1]));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(OptmsmError);
      expect((err as OptmsmError).code).toBe('E_METRICS_BAD_INPUT');
      expect((err as OptmsmError).message).toBe('AUC: prediction 1 is not finite');
    }
  });

  it('rejects non-0/1 labels and length mismatches', () => {
    expect(() => rocAuc(f64([0.1, 0.2]), u8([0, 2]))).toThrow('AUC: label 1 is not 0/1');
    expect(() => rocAuc(f64([0.1]), u8([0, 1]))).toThrow('predictions and labels differ in length');
  });

  it('agrees with the O(n²) pair count on random tied data', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 300;
    const pred = new Float32Array(n).map(() => Math.round(rand() * 20) / 20);
    const label = new Uint8Array(n).map(() => (rand() < 0.3 ? 1 : 0));
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (label[i] === 1 && label[j] === 0) {
          pairs++;
          wins += pred[i] > pred[j] ? 1 : pred[i] === pred[j] ? 0.5 : 0;
        }
      }
    }
    expect(rocAuc(pred, label).auc).toBeCloseTo(wins / pairs, 14);
  });
});
