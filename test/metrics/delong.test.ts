import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/index.js';
import { OptmsmError } from '../../src/errors.js';
import { aucComponents, delongPair, rocAuc } from '../../src/metrics/index.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const u8 = (xs: number[]) => Uint8Array.from(xs);

/** Two correlated scorers of rows with a 20 % positive rate; b is noisier than a. Scores are rounded so ties occur. */
function correlatedScores(rows: number, seed: number) {
  const u = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const label = new Uint8Array(rows);
  const a = new Float64Array(rows);
  const b = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    label[i] = u() < 0.2 ? 1 : 0;
    const shared = gauss();
    a[i] = Math.round((label[i] + 0.8 * shared + 0.6 * gauss()) * 20) / 20;
    b[i] = Math.round((label[i] + 0.8 * shared + 1.2 * gauss()) * 20) / 20;
  }
  return { label, a, b };
}

/** V10 and V01 by their definition, over every positive/negative pair. */
function bruteComponents(pred: Float64Array, label: Uint8Array) {
  const pos = [...pred].filter((_, i) => label[i] === 1);
  const neg = [...pred].filter((_, i) => label[i] === 0);
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  return { positive: pos.map((p) => neg.reduce((s, q) => s + psi(p, q), 0) / neg.length), negative: neg.map((q) => pos.reduce((s, p) => s + psi(p, q), 0) / pos.length) };
}

describe('aucComponents', () => {
  it('gives each positive the share of negatives below it, each negative the share of positives above it (hand-worked)', () => {
    // positives 0.8, 0.6; negatives 0.4, 0.6: 0.8 beats both (1), 0.6 beats 0.4 and ties 0.6 (0.75);
    // 0.4 is below both positives (1), 0.6 is below 0.8 and tied with 0.6 (0.75). AUC 0.875.
    const c = aucComponents(f64([0.8, 0.4, 0.6, 0.6]), u8([1, 0, 1, 0]))!;
    expect([...c.positive]).toEqual([1, 0.75]);
    expect([...c.negative]).toEqual([1, 0.75]);
    expect(c.auc).toBe(0.875);
  });

  it('equals the pairwise definition and the AUC on tied random scores', () => {
    const { label, a } = correlatedScores(400, 7);
    const c = aucComponents(a, label)!;
    const brute = bruteComponents(a, label);
    brute.positive.forEach((v, i) => expect(c.positive[i]).toBeCloseTo(v, 12));
    brute.negative.forEach((v, i) => expect(c.negative[i]).toBeCloseTo(v, 12));
    expect(c.auc).toBeCloseTo(rocAuc(a, label).auc!, 12);
  });

  it('is null for one class and refuses a NaN score', () => {
    expect(aucComponents(f64([0.1, 0.2]), u8([0, 0]))).toBeNull();
    expect(() => aucComponents(f64([0.1, Number.NaN]), u8([0, 1]))).toThrow(OptmsmError);
  });
});

describe('delongPair', () => {
  it('has zero variance for a model against itself', () => {
    const { label, a } = correlatedScores(300, 3);
    const pair = delongPair(a, a, label)!;
    expect(pair.diff).toBe(0);
    expect(pair.variance).toBeCloseTo(0, 15);
  });

  it("matches the bootstrap variance of the AUC difference over resampled rows", () => {
    const { label, a, b } = correlatedScores(2000, 11);
    const pair = delongPair(a, b, label)!;
    expect(pair.diff).toBeGreaterThan(0.05); // a is the sharper scorer
    const u = mulberry32(99);
    const diffs: number[] = [];
    const idx = new Int32Array(label.length);
    for (let r = 0; r < 1000; r++) {
      for (let i = 0; i < idx.length; i++) idx[i] = Math.floor(u() * idx.length);
      const pick = <T extends Float64Array | Uint8Array>(x: T) => x.map((_, i) => x[idx[i]]) as T;
      const l = pick(label);
      diffs.push(rocAuc(pick(a), l).auc! - rocAuc(pick(b), l).auc!);
    }
    const m = diffs.reduce((s, d) => s + d, 0) / diffs.length;
    const bootVar = diffs.reduce((s, d) => s + (d - m) ** 2, 0) / (diffs.length - 1);
    expect(pair.variance / bootVar).toBeGreaterThan(0.85);
    expect(pair.variance / bootVar).toBeLessThan(1.15);
  });
});
