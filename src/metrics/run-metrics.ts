// The shape of metrics.json (issue 4): the Zod schemas that read it back, and the types inferred from them.
// Unknown keys (from a later version) are dropped when reading, never an error.
// metrics.json holds only what the data, config, seed and code decide, so two runs of the same seed give the same
// file; wall-clock figures (seconds, samples/s) go to the run's timing.json (RunTiming).
import { z } from 'zod';

const count = z.number().int().min(0);
const maybe = z.number().nullable();

const calibrationSchema = z.object({
  /** mean_prediction / observed_ctr; null when there are no rows or no positives. */
  ratio: maybe,
  mean_prediction: maybe,
  observed_ctr: maybe,
});

const scenarioFields = {
  rows: count,
  positives: count,
  auc: z.number().min(0).max(1).nullable(),
  /** Present exactly when `auc` is null, e.g. "all 5 rows are negative: AUC is undefined". */
  auc_undefined_reason: z.string().optional(),
  /** Present when a class has fewer than SMALL_SAMPLE_CLASS rows, e.g. "3 positives (fewer than 30): AUC is noisy". */
  small_sample_reason: z.string().optional(),
  /** null only for a scenario with no rows. */
  logloss: z.number().min(0).nullable(),
  calibration: calibrationSchema.optional(),
  /** The reliability curve (test split of a run). */
  reliability: z.array(z.object({ rows: count, mean_prediction: z.number(), observed_ctr: z.number() })).optional(),
  gauc: maybe.optional(),
};

export const scenarioMetricsSchema = z.object(scenarioFields);

export const splitMetricsSchema = z.object({
  ...scenarioFields,
  /** Keyed by the scenario value as it appears in the data. */
  scenarios: z.record(z.string(), scenarioMetricsSchema),
  /** Only when gAUC was asked for: groups seen and groups with both classes. */
  gauc_groups: z.object({ groups: count, groups_used: count, rows_used: count }).optional(),
});

/** AUC of the true click probability (synthetic data), overall and per scenario. */
const oracleAucSchema = z.object({ auc: maybe, scenarios: z.record(z.string(), maybe) });

/** metrics.json. */
export const runMetricsSchema = z.object({
  model: z.string().min(1),
  variant: z.string().optional(),
  seed: z.number().int(),
  best_epoch: count,
  test: splitMetricsSchema,
  validation: splitMetricsSchema,
  parameters: z.object({ dense: count, embedding: count }),
  /** The oracle AUC of the test split, when the data carries the true click probability. */
  oracle: oracleAucSchema.optional(),
  epochs_run: count.optional(),
  skipped_batches: count.optional(),
  /** False when validation AUC was never defined, so best_epoch is the last one. */
  best_epoch_defined: z.boolean().optional(),
});

/** timing.json: how long the run trained, in wall-clock time. */
export const runTimingSchema = z.object({ seconds: z.number().min(0), samples_per_second: z.number().min(0) });

export type ScenarioMetrics = z.infer<typeof scenarioMetricsSchema>;
export type SplitMetrics = z.infer<typeof splitMetricsSchema>;
export type OracleAuc = z.infer<typeof oracleAucSchema>;
export type RunTiming = z.infer<typeof runTimingSchema>;
/** A run's metrics with its timing (`train`), as a run returns them and the bench tables use them. */
export type RunMetrics = z.infer<typeof runMetricsSchema> & { train: RunTiming };

/** Fewer rows than this in a class (positives or negatives) make a scenario's AUC too noisy to compare. */
export const SMALL_SAMPLE_CLASS = 30;
