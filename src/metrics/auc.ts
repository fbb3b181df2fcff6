// Exact ROC AUC as the Mann-Whitney statistic: AUC = P(s+ > s-) + ½·P(s+ = s-) over all positive/negative
// pairs, which is what average ranks for ties give and what the trapezoidal ROC area gives (scikit-learn).
// Positives and negatives are sorted separately with the native typed-array sort and merged: O(n log n).
import { checkInputs, type Predictions } from './validate.js';

export interface AucResult {
  auc: number | null;
  /** Why `auc` is null: the rows hold one class only (or none). */
  reason?: string;
}

/** Why AUC is undefined for this many rows and positives, or undefined when it is defined. */
export function aucUndefinedReason(rows: number, positives: number): string | undefined {
  if (rows === 0) return 'no rows: AUC is undefined';
  if (positives === 0) return `all ${rows} rows are negative: AUC is undefined`;
  if (positives === rows) return `all ${rows} rows are positive: AUC is undefined`;
  return undefined;
}

/** The AUC of scores already split by class; both arrays are sorted in place. */
export function aucOfSplitScores(positive: Float64Array, negative: Float64Array): number {
  positive.sort();
  negative.sort();
  // For each positive (ascending) count negatives strictly below it and those equal to it; pointers only advance.
  let below = 0;
  let upTo = 0; // negatives <= current positive
  let twiceWins = 0; // 2·(wins + ½·ties) keeps the sum an exact integer in a double up to 2^53
  for (let i = 0; i < positive.length; i++) {
    const s = positive[i];
    while (below < negative.length && negative[below] < s) below++;
    if (upTo < below) upTo = below;
    while (upTo < negative.length && negative[upTo] === s) upTo++;
    twiceWins += below + upTo;
  }
  return twiceWins / (2 * positive.length * negative.length);
}

/** Splits scores by label into two new Float64Arrays. */
export function splitByLabel(pred: Predictions, label: Uint8Array, positives: number): [Float64Array, Float64Array] {
  const pos = new Float64Array(positives);
  const neg = new Float64Array(label.length - positives);
  let p = 0;
  let n = 0;
  for (let i = 0; i < label.length; i++) {
    if (label[i] === 1) pos[p++] = pred[i];
    else neg[n++] = pred[i];
  }
  return [pos, neg];
}

/** Exact ROC AUC with ties counted half; null with a reason when the labels hold one class. */
export function rocAuc(pred: Predictions, label: Uint8Array): AucResult {
  checkInputs(pred, label, 'AUC');
  let positives = 0;
  for (let i = 0; i < label.length; i++) positives += label[i];
  const reason = aucUndefinedReason(label.length, positives);
  if (reason !== undefined) return { auc: null, reason };
  const [pos, neg] = splitByLabel(pred, label, positives);
  return { auc: aucOfSplitScores(pos, neg) };
}
