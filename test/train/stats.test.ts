import { describe, expect, it } from 'vitest';
import { InternalError } from '../../src/errors.js';
import { aucDifferenceTest, erfc, incompleteBeta, logGamma, mean, pairedTTest, sampleStd, studentTCdf, studentTQuantile } from '../../src/train/stats.js';

// Reference values from scipy 1.10.1 (/usr/bin/python3): scipy.stats.t.cdf(t, df),
// scipy.special.betainc(a, b, x) and scipy.stats.ttest_rel(a, b).
const T_CDF: [number, number, number][] = [
  [0.5, 1, 0.6475836176504333],
  [2.0, 1, 0.8524163823495667],
  [-1.3, 2, 0.16162351590802027],
  [2.776, 4, 0.9749886108400118],
  [0.1, 5, 0.5378849294226699],
  [3.5, 7, 0.9950034795590572],
  [-10.0, 3, 0.0010641995292070747],
  [25.0, 2, 0.9992019148942948],
  [1.96, 1000, 0.9748634075221256],
  [0.0, 9, 0.5],
  [6.0, 30, 0.9999993028615616],
];
const BETAINC: [number, number, number, number][] = [
  [0.5, 0.5, 0.3, 0.3690101195655454],
  [2, 3, 0.4, 0.5247999999999999],
  [10, 0.5, 0.9, 0.15164090963470997],
  [0.5, 20, 0.01, 0.4713699354850156],
  [50, 50, 0.5, 0.5],
  [1, 1, 0.77, 0.77],
  [3.5, 0.5, 0.999, 0.9356322688440224],
];
const TTEST: [number[], number[], number, number][] = [
  [[0.765, 0.768, 0.77], [0.76, 0.761, 0.766], 6.047431568147636, 0.026271008879704683],
  [[0.7, 0.71, 0.69, 0.72, 0.7], [0.71, 0.7, 0.7, 0.71, 0.72], -0.6666666666666666, 0.541469739275585],
  [[1, 2], [0.5, 2.1], 0.6666666666666664, 0.6256659163780027],
];

describe('stats', () => {
  it('mean and sample std', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(sampleStd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 15);
    expect(mean([])).toBeNull();
    expect(sampleStd([0.7])).toBeNull();
  });

  it('logGamma matches factorials', () => {
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });

  it.each(BETAINC)('incompleteBeta(%d, %d, %d) matches scipy', (a, b, x, expected) => {
    expect(Math.abs(incompleteBeta(a, b, x) - expected)).toBeLessThan(1e-12);
  });

  it.each(T_CDF)('studentTCdf(%d, df=%d) matches scipy', (t, df, expected) => {
    expect(Math.abs(studentTCdf(t, df) - expected)).toBeLessThan(1e-12);
  });

  it.each(TTEST)('pairedTTest matches scipy ttest_rel', (a, b, t, p) => {
    const r = pairedTTest(a, b);
    expect(r.t).toBeCloseTo(t, 9);
    expect(Math.abs((r.p ?? NaN) - p)).toBeLessThan(1e-10);
    expect(r.df).toBe(a.length - 1);
  });

  it('gives p null when undefined and 0 for a constant non-zero shift', () => {
    expect(pairedTTest([0.7], [0.6]).p).toBeNull();
    expect(pairedTTest([], []).p).toBeNull();
    expect(pairedTTest([1, 2, 3], [1, 2, 3]).p).toBeNull();
    expect(pairedTTest([1, 2, 3], [0, 1, 2])).toEqual({ n: 3, meanDiff: 1, t: Infinity, df: 2, p: 0, ci95: [1, 1] });
    expect(() => pairedTTest([1, 2], [1])).toThrow(InternalError);
  });
});

describe('studentTQuantile and the confidence interval', () => {
  // scipy.stats.t.ppf(0.975, df)
  it.each([[1, 12.706204736174707], [2, 4.302652729911275], [4, 2.7764451051977987], [30, 2.0422724563012373]])(
    't.ppf(0.975, %d) matches scipy', (df, expected) => {
      expect(Math.abs(studentTQuantile(0.975, df) - expected)).toBeLessThan(1e-9);
    },
  );

  it('gives the paired mean difference ± t(0.975, n-1) · sd/√n', () => {
    const r = pairedTTest([0.71, 0.74, 0.72], [0.70, 0.71, 0.71]);
    const diffs = [0.01, 0.03, 0.01];
    const sd = Math.sqrt(((0.01 - 0.05 / 3) ** 2 * 2 + (0.03 - 0.05 / 3) ** 2) / 2);
    const half = 4.302652729911275 * (sd / Math.sqrt(3));
    expect(r.meanDiff).toBeCloseTo(diffs.reduce((a, b) => a + b) / 3, 12);
    expect(r.ci95?.[0]).toBeCloseTo((r.meanDiff as number) - half, 9);
    expect(r.ci95?.[1]).toBeCloseTo((r.meanDiff as number) + half, 9);
    expect(pairedTTest([0.7], [0.6]).ci95).toBeNull();
  });
});

describe('aucDifferenceTest', () => {
  it('is the plain DeLong z-test for one seed', () => {
    const t = aucDifferenceTest([{ aucA: 0.75, aucB: 0.7, diff: 0.05, variance: 0.025 ** 2 }])!;
    expect(t.meanDiff / t.se).toBeCloseTo(2, 12);
    expect(t.df).toBe(Infinity);
    expect(t.p).toBeCloseTo(0.0455003, 6); // two-sided P(|Z| > 2)
  });

  it("adds the seeds' spread to the rows' sampling variance", () => {
    const pairs = [0.02, 0.04, 0.06].map((diff) => ({ aucA: 0.7 + diff, aucB: 0.7, diff, variance: 0.0001 }));
    const t = aucDifferenceTest(pairs)!;
    // mean 0.04; seeds: var 0.0004 / 3; rows: 0.0001.
    expect(t.meanDiff).toBeCloseTo(0.04, 15);
    expect(t.se).toBeCloseTo(Math.sqrt(0.0001 + 0.0004 / 3), 15);
  });

  it('is the paired t-test over seeds when the rows add no variance', () => {
    const diffs = [0.01, 0.03, 0.02, 0.05];
    const t = aucDifferenceTest(diffs.map((diff) => ({ aucA: 0.7 + diff, aucB: 0.7, diff, variance: 0 })))!;
    expect(t.df).toBeCloseTo(3, 12);
    expect(t.p).toBeCloseTo(pairedTTest(diffs, [0, 0, 0, 0]).p!, 12);
  });

  it('does not shrink the rows\' variance with more seeds', () => {
    const one = aucDifferenceTest([{ aucA: 0.71, aucB: 0.7, diff: 0.01, variance: 0.0004 }])!;
    const many = aucDifferenceTest(Array.from({ length: 10 }, () => ({ aucA: 0.71, aucB: 0.7, diff: 0.01, variance: 0.0004 })))!;
    expect(many.p).toBeCloseTo(one.p!, 12);
  });

  it('is null without pairs, undefined for no difference and no error', () => {
    expect(aucDifferenceTest([])).toBeNull();
    expect(aucDifferenceTest([{ aucA: 0.7, aucB: 0.7, diff: 0, variance: 0 }])!.p).toBeNull();
  });
});

describe('erfc', () => {
  it('matches known values', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 7);
    expect(erfc(3)).toBeCloseTo(2.20904970e-5, 9);
  });
});
