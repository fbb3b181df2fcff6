// The shape of metrics.json (issue 4), as TypeScript types and the Zod schemas that read it back. Objects are
// loose: a later version may add keys, and reading an older report should not fail on them.
import { z } from 'zod';
import type { Calibration } from './calibration.js';
import type { ReliabilityBin } from './reliability.js';

export interface ScenarioMetrics {
  rows: number;
  positives: number;
  auc: number | null;
  /** Present exactly when `auc` is null, e.g. "all 5 rows are negative: AUC is undefined". */
  auc_undefined_reason?: string;
  /** null only for a scenario with no rows. */
  logloss: number | null;
  calibration?: Calibration;
  /** The reliability curve (test split of a run). */
  reliability?: ReliabilityBin[];
  gauc?: number | null;
}

export interface SplitMetrics extends ScenarioMetrics {
  /** Keyed by the scenario value as it appears in the data. */
  scenarios: Record<string, ScenarioMetrics>;
  /** Only when gAUC was asked for: groups seen and groups with both classes. */
  gauc_groups?: { groups: number; groups_used: number; rows_used: number };
}

/** AUC of the true click probability (synthetic data), overall and per scenario. */
export interface OracleAuc {
  auc: number | null;
  scenarios: Record<string, number | null>;
}

export interface RunMetrics {
  model: string;
  variant?: string;
  seed: number;
  best_epoch: number;
  test: SplitMetrics;
  validation: SplitMetrics;
  train: { seconds: number; samples_per_second: number };
  parameters: { dense: number; embedding: number };
  /** The oracle AUC of the test split, when the data carries the true click probability. */
  oracle?: OracleAuc;
}

const count = z.number().int().min(0);
const maybe = z.number().nullable();

const calibrationSchema = z.looseObject({ ratio: maybe, mean_prediction: maybe, observed_ctr: maybe });

const scenarioFields = {
  rows: count,
  positives: count,
  auc: z.number().min(0).max(1).nullable(),
  auc_undefined_reason: z.string().optional(),
  logloss: z.number().min(0).nullable(),
  calibration: calibrationSchema.optional(),
  reliability: z.array(z.looseObject({ rows: count, mean_prediction: z.number(), observed_ctr: z.number() })).optional(),
  gauc: maybe.optional(),
};

export const scenarioMetricsSchema: z.ZodType<ScenarioMetrics> = z.looseObject(scenarioFields);

export const splitMetricsSchema: z.ZodType<SplitMetrics> = z.looseObject({
  ...scenarioFields,
  scenarios: z.record(z.string(), scenarioMetricsSchema),
  gauc_groups: z.looseObject({ groups: count, groups_used: count, rows_used: count }).optional(),
});

export const runMetricsSchema: z.ZodType<RunMetrics> = z.looseObject({
  model: z.string().min(1),
  variant: z.string().optional(),
  seed: z.number().int(),
  best_epoch: count,
  test: splitMetricsSchema,
  validation: splitMetricsSchema,
  train: z.looseObject({ seconds: z.number().min(0), samples_per_second: z.number().min(0) }),
  parameters: z.looseObject({ dense: count, embedding: count }),
  oracle: z.looseObject({ auc: maybe, scenarios: z.record(z.string(), maybe) }).optional(),
});
