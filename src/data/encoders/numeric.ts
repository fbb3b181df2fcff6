// Numeric features: statistics fitted on train, a fill rule for missing cells, normalisation, or quantile buckets.
// The transform runs in JavaScript both at training and prediction time, so both give bit-identical float32s.
import { idOf } from '../contracts.js';
import type { Normalize } from '../schema.js';

export interface NumericStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  median: number;
}

/** Applies normalisation to a finite (already filled) value; the result is rounded to float32 by the caller. */
export function normalizeValue(x: number, normalize: Normalize, stats: NumericStats): number {
  switch (normalize) {
    case 'none':
      return x;
    case 'min-max': {
      const range = stats.max - stats.min;
      return range > 0 ? (x - stats.min) / range : 0;
    }
    case 'standard':
      return stats.std > 0 ? (x - stats.mean) / stats.std : x - stats.mean;
    case 'log':
      // Signed log1p: defined for every real, monotone, and 0 stays 0.
      return Math.sign(x) * Math.log1p(Math.abs(x));
  }
}

/** Bucket id for a finite value: the id of bucket k = the number of boundaries <= x. */
export function bucketId(x: number, boundaries: readonly number[]): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return idOf(lo);
}

/** Distinct, sorted, finite boundaries from the quantiles k/B, k = 1..B-1. */
export function dedupeBoundaries(quantiles: readonly number[]): number[] {
  const out: number[] = [];
  for (const q of quantiles) if (Number.isFinite(q) && (out.length === 0 || q > out[out.length - 1]!)) out.push(q);
  return out;
}

/** Streaming mean / population std in a fixed order (Welford), so stats do not depend on thread scheduling. */
export class RunningStats {
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  private mean = 0;
  private m2 = 0;
  push(x: number): void {
    this.count++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const d = x - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (x - this.mean);
  }
  result(): { mean: number; std: number } {
    return { mean: this.count > 0 ? this.mean : 0, std: this.count > 0 ? Math.sqrt(this.m2 / this.count) : 0 };
  }
}
