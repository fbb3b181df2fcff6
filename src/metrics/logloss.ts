// Binary cross-entropy averaged over rows. Probabilities are clipped to [1e-7, 1 - 1e-7] first, so a confident
// wrong prediction costs at most -ln(1e-7) ≈ 16.1 instead of Infinity. 1e-7 rather than float64 epsilon because
// predictions come from float32 sigmoids, where 1 - 1e-8 already rounds to 1.
import { OptmsmError } from '../errors.js';
import { checkInputs, type Predictions } from './validate.js';

export const LOGLOSS_EPS = 1e-7;

/** Mean clipped log loss; null for zero rows. Throws for predictions outside [0, 1]. */
export function logLoss(pred: Predictions, label: Uint8Array): number | null {
  checkInputs(pred, label, 'LogLoss');
  if (pred.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < pred.length; i++) {
    const raw = pred[i];
    if (raw < 0 || raw > 1) {
      throw new OptmsmError('E_METRICS_BAD_INPUT', `LogLoss: prediction ${i} is not a probability`, {
        location: `row ${i}`,
        expected: 'a value in [0, 1]',
        found: String(raw),
        hint: 'LogLoss needs probabilities (the model output after sigmoid), not logits',
      });
    }
    const p = Math.min(Math.max(raw, LOGLOSS_EPS), 1 - LOGLOSS_EPS);
    sum -= label[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / pred.length;
}
