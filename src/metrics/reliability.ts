// The reliability (calibration) curve: rows sorted by predicted probability and cut into bins of equal count
// (scikit-learn's calibration_curve with strategy='quantile'); each bin's mean prediction against its observed
// click rate. Equal-width bins would leave most CTR predictions, which sit near the base rate, in one or two bins.
import { checkInputs, type Predictions } from './validate.js';

export interface ReliabilityBin {
  rows: number;
  mean_prediction: number;
  observed_ctr: number;
}

/** Up to `bins` bins of (nearly) equal row count, in order of prediction; none for no rows. */
export function reliabilityCurve(pred: Predictions, label: Uint8Array, bins = 10): ReliabilityBin[] {
  checkInputs(pred, label, 'reliability curve');
  const order = Array.from({ length: pred.length }, (_, i) => i).sort((a, b) => pred[a] - pred[b]);
  const count = Math.min(bins, pred.length);
  const curve: ReliabilityBin[] = [];
  for (let b = 0; b < count; b++) {
    const [from, to] = [Math.floor((b * pred.length) / count), Math.floor(((b + 1) * pred.length) / count)];
    let sum = 0;
    let clicks = 0;
    for (let k = from; k < to; k++) {
      sum += pred[order[k]];
      clicks += label[order[k]];
    }
    curve.push({ rows: to - from, mean_prediction: sum / (to - from), observed_ctr: clicks / (to - from) });
  }
  return curve;
}
