// DeLong's test (DeLong, DeLong & Clarke-Pearson, Biometrics 1988) of two AUCs measured on the same rows: the
// variance of their difference over the sampling of the rows (aucDifferenceTest in train/stats.ts combines it over
// seeds).
//
// AUC = mean_i V10_i = mean_j V01_j with the structural components
//   V10_i = P(s_j < s_i) + ½ P(s_j = s_i) over negatives j   (one per positive i)
//   V01_j = P(s_i > s_j) + ½ P(s_i = s_j) over positives i   (one per negative j)
// and Var(AUC_a − AUC_b) = (S10_aa + S10_bb − 2 S10_ab) / m + (S01_aa + S01_bb − 2 S01_ab) / n,
// S the sample covariances of the components over the m positives and the n negatives.

import { aucUndefinedReason, splitByLabel } from './auc.js';
import { checkInputs, countPositives, type Predictions } from './validate.js';

/** The structural components of one model's AUC, positives and negatives each in row order. */
export interface AucComponents {
  auc: number;
  positive: Float64Array;
  negative: Float64Array;
}

/** How many of the sorted values are < x and how many are <= x (two binary searches). */
function countBelow(sorted: Float64Array, x: number): [number, number] {
  const bound = (strict: boolean) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? sorted[mid] < x : sorted[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return [bound(true), bound(false)];
}

/** V10 per positive and V01 per negative; null when the labels hold one class. */
export function aucComponents(pred: Predictions, label: Uint8Array): AucComponents | null {
  checkInputs(pred, label, 'DeLong');
  const m = countPositives(label);
  if (aucUndefinedReason(label.length, m) !== undefined) return null;
  const n = label.length - m;
  const [pos, neg] = splitByLabel(pred, label, m);
  const sortedPos = Float64Array.from(pos).sort();
  const sortedNeg = Float64Array.from(neg).sort();
  const positive = pos.map((s) => {
    const [below, upTo] = countBelow(sortedNeg, s);
    return (below + (upTo - below) / 2) / n;
  });
  const negative = neg.map((s) => {
    const [below, upTo] = countBelow(sortedPos, s);
    return (m - upTo + (upTo - below) / 2) / m;
  });
  let auc = 0;
  for (const v of positive) auc += v;
  return { auc: auc / m, positive, negative };
}

/** Sample covariance of two equally long series (n − 1 in the denominator). */
function covariance(x: Float64Array, y: Float64Array): number {
  const k = x.length;
  if (k < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < k; i++) { mx += x[i]; my += y[i]; }
  mx /= k;
  my /= k;
  let s = 0;
  for (let i = 0; i < k; i++) s += (x[i] - mx) * (y[i] - my);
  return s / (k - 1);
}

export interface PairedAuc {
  aucA: number;
  aucB: number;
  /** AUC_a − AUC_b. */
  diff: number;
  /** DeLong's estimate of Var(AUC_a − AUC_b) over the sampling of the rows. */
  variance: number;
}

/** Both models' AUC on the same rows and the DeLong variance of their difference; null for one-class rows. */
export function delongPair(a: Predictions, b: Predictions, label: Uint8Array): PairedAuc | null {
  const ca = aucComponents(a, label);
  const cb = aucComponents(b, label);
  if (!ca || !cb) return null;
  const part = (x: Float64Array, y: Float64Array) => (covariance(x, x) + covariance(y, y) - 2 * covariance(x, y)) / x.length;
  const variance = Math.max(0, part(ca.positive, cb.positive) + part(ca.negative, cb.negative));
  return { aucA: ca.auc, aucB: cb.auc, diff: ca.auc - cb.auc, variance };
}
