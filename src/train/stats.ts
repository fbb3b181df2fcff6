// Summary statistics over seeds and the paired t-test the bench uses to compare two models run on the same
// seeds. The Student t distribution comes from the regularized incomplete beta function
// (Numerical Recipes §6.4: Lentz's continued fraction), so no statistics package is needed.
import { assertInternal } from '../errors.js';
import type { PairedAuc } from '../metrics/index.js';

export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample standard deviation (divides by n - 1); null for fewer than two values. */
export function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs) as number;
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const guard = (v: number) => (Math.abs(v) < 1e-300 ? 1e-300 : v); // keeps Lentz's method off a zero divisor
  let c = 1;
  let d = 1 / guard(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    h *= d * c;
    if (Math.abs(d * c - 1) < 3e-16) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]. */
export function incompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The fraction converges fast only below the mean; above it, use the symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * incompleteBeta(df / 2, 0.5, df / (df + t * t)); // P(T > |t|)
  return t > 0 ? 1 - tail : tail;
}

/** The t with P(T ≤ t) = p, by bisection on the CDF (monotone; 100 halvings reach double precision). */
export function studentTQuantile(p: number, df: number): number {
  assertInternal(p > 0 && p < 1 && df > 0, `studentTQuantile: p ${p}, df ${df}`);
  let [lo, hi] = [-1, 1];
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface PairedTTest {
  /** Number of pairs. */
  n: number;
  /** mean(a - b). */
  meanDiff: number | null;
  t: number | null;
  df: number;
  /** Two-sided p-value; null when undefined (n < 2, or every difference is zero). */
  p: number | null;
  /** 95% confidence interval of mean(a - b); null for n < 2. */
  ci95: [number, number] | null;
}

/** Paired two-sided t-test of a against b (a[i] and b[i] come from the same seed), as scipy's ttest_rel. */
export function pairedTTest(a: readonly number[], b: readonly number[]): PairedTTest {
  assertInternal(a.length === b.length, `pairedTTest: ${a.length} values against ${b.length}`);
  const diff = a.map((x, i) => x - b[i]);
  const n = diff.length;
  const meanDiff = mean(diff);
  const sd = sampleStd(diff);
  if (meanDiff === null || sd === null) return { n, meanDiff, t: null, df: Math.max(n - 1, 0), p: null, ci95: null };
  const df = n - 1;
  const half = studentTQuantile(0.975, df) * (sd / Math.sqrt(n));
  const ci95: [number, number] = [meanDiff - half, meanDiff + half];
  if (sd === 0) {
    // Identical differences: a constant non-zero shift is infinitely significant; no shift at all is undefined.
    if (meanDiff === 0) return { n, meanDiff, t: null, df, p: null, ci95 };
    return { n, meanDiff, t: meanDiff > 0 ? Infinity : -Infinity, df, p: 0, ci95 };
  }
  const t = meanDiff / (sd / Math.sqrt(n));
  return { n, meanDiff, t, df, p: incompleteBeta(df / 2, 0.5, df / (df + t * t)), ci95 };
}

/** erfc(x), Numerical Recipes' Chebyshev fit (fractional error below 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-x * x + poly);
  return x >= 0 ? r : 2 - r;
}

export interface AucDifferenceTest {
  /** Seeds compared. */
  n: number;
  /** mean_s (AUC_a − AUC_b). */
  meanDiff: number;
  /** Its standard error: the rows' sampling (DeLong) and the seeds' spread together. */
  se: number;
  /** Satterthwaite's degrees of freedom of se; Infinity when it is the rows' variance alone. */
  df: number;
  /** Two-sided p-value; null when the difference and its error are both zero. */
  p: number | null;
}

/**
 * Two models trained on the same seeds and scored on the same rows: is AUC_a different from AUC_b? `pairs` holds
 * one DeLong pair per seed (metrics/delong.ts). On a split of a few hundred rows the rows alone move an AUC by
 * several hundredths, and every seed is scored on the same rows, so the paired t-test over seeds sees only the
 * training noise. Here Var(mean d) = mean_s Var_DeLong(d_s) + Var_seeds(d) / n: the rows' variance, which more
 * seeds do not shrink, plus the seeds', which they do. The first is known (DeLong's estimate on thousands of
 * pairs), the second estimated on n − 1 degrees of freedom, so t = mean d / se has Satterthwaite's
 * df = (V_rows + V_seeds)² / (V_seeds² / (n − 1)): the paired t-test when the rows' variance vanishes, DeLong's
 * z-test when the seeds agree (or there is one seed).
 */
export function aucDifferenceTest(pairs: readonly PairedAuc[]): AucDifferenceTest | null {
  const n = pairs.length;
  if (n === 0) return null;
  const diffs = pairs.map((p) => p.diff);
  const meanDiff = mean(diffs) as number;
  const rows = mean(pairs.map((p) => p.variance)) as number;
  const seeds = n < 2 ? 0 : (sampleStd(diffs) as number) ** 2 / n;
  const se = Math.sqrt(rows + seeds);
  const df = seeds === 0 ? Infinity : (rows + seeds) ** 2 / (seeds ** 2 / (n - 1));
  if (se === 0) return { n, meanDiff, se, df, p: meanDiff === 0 ? null : 0 };
  const t = Math.abs(meanDiff) / se;
  // Past 1e6 degrees of freedom t is normal to 7 digits (and the incomplete beta's fraction stops converging).
  const p = df > 1e6 ? erfc(t / Math.SQRT2) : incompleteBeta(df / 2, 0.5, df / (df + t * t));
  return { n, meanDiff, se, df, p: Math.min(1, p) };
}
