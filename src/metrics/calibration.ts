// Calibration as CTR papers report it: mean predicted probability over observed click rate (1 = calibrated,
// > 1 = over-predicts). Both parts are returned because the ratio alone hides tiny denominators.
import { checkInputs, countPositives, type Predictions } from './validate.js';

export interface Calibration {
  /** mean_prediction / observed_ctr; null when there are no rows or no positives. */
  ratio: number | null;
  mean_prediction: number | null;
  observed_ctr: number | null;
}

export function calibration(pred: Predictions, label: Uint8Array): Calibration {
  checkInputs(pred, label, 'calibration');
  if (pred.length === 0) return { ratio: null, mean_prediction: null, observed_ctr: null };
  let sum = 0;
  for (let i = 0; i < pred.length; i++) sum += pred[i];
  const meanPrediction = sum / pred.length;
  const observedCtr = countPositives(label) / label.length;
  return {
    ratio: observedCtr === 0 ? null : meanPrediction / observedCtr,
    mean_prediction: meanPrediction,
    observed_ctr: observedCtr,
  };
}
