import { describe, expect, it } from 'vitest';
import { groupAuc } from '../../src/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const u8 = (xs: number[]) => Uint8Array.from(xs);
const i32 = (xs: number[]) => Int32Array.from(xs);

describe('groupAuc', () => {
  it('weights each two-class group by its rows and skips one-class groups (hand-worked)', () => {
    // group 7: 4 rows, AUC 1 · group -3: 2 rows, AUC 0 · group 1: 3 rows, all negative (skipped).
    const pred = f64([0.1, 0.9, 0.2, 0.8, 0.6, 0.4, 0.5, 0.5, 0.5]);
    const label = u8([0, 1, 0, 1, 0, 1, 0, 0, 0]);
    const group = i32([7, 7, 7, 7, -3, -3, 1, 1, 1]);
    expect(groupAuc(pred, label, group)).toEqual({ gauc: (4 * 1 + 2 * 0) / 6, groups: 3, groups_used: 2, rows_used: 6 });
  });

  it('is null when no group has both classes', () => {
    expect(groupAuc(f64([0.1, 0.2]), u8([1, 0]), i32([1, 2])).gauc).toBeNull();
  });

  it('throws when group ids do not match the rows', () => {
    expect(() => groupAuc(f64([0.1, 0.2]), u8([1, 0]), i32([1]))).toThrow('gAUC: group ids and labels differ in length');
  });
});
