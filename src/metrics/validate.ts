// Input checks shared by every metric. A NaN prediction must stop evaluation loudly: a NaN AUC or LogLoss in
// metrics.json would silently poison every table built from it.
import { OptmsmError } from '../errors.js';

export type Predictions = Float32Array | Float64Array;

export function checkInputs(pred: Predictions, label: Uint8Array, what: string): void {
  if (pred.length !== label.length) {
    throw new OptmsmError('E_METRICS_BAD_INPUT', `${what}: predictions and labels differ in length`, {
      expected: `${label.length} predictions (one per label)`,
      found: `${pred.length}`,
    });
  }
  for (let i = 0; i < pred.length; i++) {
    if (!Number.isFinite(pred[i])) {
      throw new OptmsmError('E_METRICS_BAD_INPUT', `${what}: prediction ${i} is not finite`, {
        location: `row ${i}`,
        expected: 'a finite number',
        found: String(pred[i]),
        hint: 'the model produced NaN/Inf; check the training log for a diverging loss',
      });
    }
    if (label[i] > 1) {
      throw new OptmsmError('E_METRICS_BAD_INPUT', `${what}: label ${i} is not 0/1`, {
        location: `row ${i}`,
        expected: '0 or 1',
        found: String(label[i]),
      });
    }
  }
}

export function countPositives(label: Uint8Array): number {
  let positives = 0;
  for (let i = 0; i < label.length; i++) positives += label[i];
  return positives;
}
