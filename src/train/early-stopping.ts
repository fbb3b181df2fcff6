// Early stopping on validation AUC (maximised). An epoch improves when its AUC beats the best so far by more than
// min_delta; training stops after `patience` epochs in a row without improvement (Keras semantics). The state is
// plain JSON so a resumed run continues the same count.
import { z } from 'zod';

export const earlyStoppingSchema = z
  .strictObject({
    patience: z.number().int().min(0).default(4).describe('epochs without improvement before stopping'),
    min_delta: z.number().min(0).default(0).describe('an improvement must exceed the best AUC by more than this'),
  })
  .transform((c) => ({ patience: c.patience, minDelta: c.min_delta }));

export type EarlyStoppingConfig = z.output<typeof earlyStoppingSchema>;

export const earlyStoppingStateSchema = z.strictObject({
  /** Epoch of the best validation AUC; null until some epoch has a defined AUC. */
  bestEpoch: z.number().int().nullable(),
  bestAuc: z.number().nullable(),
  badEpochs: z.number().int().min(0),
  stopped: z.boolean(),
});
export type EarlyStoppingState = z.infer<typeof earlyStoppingStateSchema>;

export interface EarlyStoppingDecision {
  /** This epoch is the new best: save its weights as the ones to restore. */
  improved: boolean;
  /** Patience is exhausted: stop training (and restore the best weights). */
  stop: boolean;
}

export class EarlyStopping {
  private state: EarlyStoppingState;

  constructor(
    private readonly config: EarlyStoppingConfig,
    state?: EarlyStoppingState,
  ) {
    this.state = state
      ? earlyStoppingStateSchema.parse(state)
      : { bestEpoch: null, bestAuc: null, badEpochs: 0, stopped: false };
  }

  /** Records an epoch's validation AUC; null (one-class validation data) never counts as an improvement. */
  update(epoch: number, validationAuc: number | null): EarlyStoppingDecision {
    const { bestAuc } = this.state;
    const improved = validationAuc !== null && (bestAuc === null || validationAuc > bestAuc + this.config.minDelta);
    if (improved) {
      this.state = { ...this.state, bestEpoch: epoch, bestAuc: validationAuc, badEpochs: 0 };
    } else {
      const badEpochs = this.state.badEpochs + 1;
      this.state = { ...this.state, badEpochs, stopped: badEpochs >= this.config.patience };
    }
    return { improved, stop: this.state.stopped };
  }

  get bestEpoch(): number | null {
    return this.state.bestEpoch;
  }

  get bestAuc(): number | null {
    return this.state.bestAuc;
  }

  get stopped(): boolean {
    return this.state.stopped;
  }

  getState(): EarlyStoppingState {
    return { ...this.state };
  }
}
