// Learning-rate schedules. Every schedule is a function of the global step and epoch plus, for
// reduce_on_plateau, the validation AUC seen at each epoch's end (maximised). The trainer scales other
// learning rates (e.g. the sparse optimizer's) by the same factor: factorAt() = lrAt() / base lr.
import { z } from 'zod';

const constant = z.strictObject({ name: z.literal('constant') });

const step = z.strictObject({
  name: z.literal('step'),
  step_epochs: z.number().int().positive().default(10).describe('multiply the lr by gamma every this many epochs'),
  gamma: z.number().positive().max(1).default(0.5),
});

const cosine = z.strictObject({
  name: z.literal('cosine'),
  warmup_steps: z.number().int().min(0).default(0).describe('linear warm-up from lr/warmup_steps to lr'),
  min_lr: z.number().min(0).default(0).describe('lr at the last step of training'),
});

const plateau = z.strictObject({
  name: z.literal('reduce_on_plateau'),
  factor: z.number().positive().lt(1).default(0.5),
  patience: z.number().int().min(0).default(1).describe('epochs without validation AUC improvement before a cut'),
  threshold: z.number().min(0).default(1e-4).describe('an improvement must exceed the best AUC by this much'),
  min_lr: z.number().min(0).default(1e-6),
});

/** The `schedule` block of a training config (snake_case), mapped to camelCase. */
export const lrScheduleSchema = z.discriminatedUnion('name', [constant, step, cosine, plateau]).transform((c) => {
  switch (c.name) {
    case 'constant':
      return { name: c.name };
    case 'step':
      return { name: c.name, stepEpochs: c.step_epochs, gamma: c.gamma };
    case 'cosine':
      return { name: c.name, warmupSteps: c.warmup_steps, minLr: c.min_lr };
    case 'reduce_on_plateau':
      return { name: c.name, factor: c.factor, patience: c.patience, threshold: c.threshold, minLr: c.min_lr };
  }
});

export type LrScheduleInput = z.input<typeof lrScheduleSchema>;
export type LrScheduleConfig = z.output<typeof lrScheduleSchema>;

/** What a schedule must carry across a resume; only reduce_on_plateau has any. */
export const lrScheduleStateSchema = z.strictObject({
  lr: z.number().positive(),
  best: z.number().nullable(),
  badEpochs: z.number().int().min(0),
});
export type LrScheduleState = z.infer<typeof lrScheduleStateSchema>;

export interface LrSchedule {
  /** The lr for global step `step` (0-based, counts batches) in epoch `epoch` (0-based). */
  lrAt(step: number, epoch: number): number;
  /** lrAt / base lr. */
  factorAt(step: number, epoch: number): number;
  /** Call once per epoch with the validation AUC; null (AUC undefined) counts as no improvement. */
  onEpochEnd(validationAuc: number | null): void;
  getState(): LrScheduleState;
  setState(state: LrScheduleState): void;
}

export interface ScheduleContext {
  baseLr: number;
  /** Planned optimizer steps (epochs × batches per epoch); cosine decays over it. */
  totalSteps: number;
}

export function createLrSchedule(config: LrScheduleConfig, { baseLr, totalSteps }: ScheduleContext): LrSchedule {
  let state: LrScheduleState = { lr: baseLr, best: null, badEpochs: 0 };
  const lrAt = (s: number, epoch: number): number => {
    switch (config.name) {
      case 'constant':
        return baseLr;
      case 'step':
        return baseLr * config.gamma ** Math.floor(epoch / config.stepEpochs);
      case 'cosine': {
        if (s < config.warmupSteps) return (baseLr * (s + 1)) / config.warmupSteps;
        const span = Math.max(totalSteps - 1 - config.warmupSteps, 1);
        const progress = Math.min((s - config.warmupSteps) / span, 1);
        return config.minLr + 0.5 * (baseLr - config.minLr) * (1 + Math.cos(Math.PI * progress));
      }
      case 'reduce_on_plateau':
        return state.lr;
    }
  };
  return {
    lrAt,
    factorAt: (s, epoch) => lrAt(s, epoch) / baseLr,
    onEpochEnd(auc) {
      if (config.name !== 'reduce_on_plateau') return;
      if (auc !== null && (state.best === null || auc > state.best + config.threshold)) {
        state = { ...state, best: auc, badEpochs: 0 };
        return;
      }
      // As torch's ReduceLROnPlateau: cut once more than `patience` epochs in a row failed to improve.
      const badEpochs = state.badEpochs + 1;
      if (badEpochs > config.patience) {
        state = { ...state, lr: Math.max(state.lr * config.factor, config.minLr), badEpochs: 0 };
      } else {
        state = { ...state, badEpochs };
      }
    },
    getState: () => ({ ...state }),
    setState(next) {
      state = lrScheduleStateSchema.parse(next);
    },
  };
}
