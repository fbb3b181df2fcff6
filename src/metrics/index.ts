// The metrics room: pure functions over predictions (Float32Array/Float64Array) and 0/1 labels (Uint8Array).
// Definitions: AUC is exact Mann-Whitney with ties counted half (auc.ts); LogLoss clips at 1e-7 (logloss.ts);
// gAUC is the impression-weighted mean of per-group AUC over two-class groups (gauc.ts). A one-class set of
// rows has AUC null with a reason, and a non-finite prediction throws E_METRICS_BAD_INPUT.
export { rocAuc, aucUndefinedReason, type AucResult } from './auc.js';
export { logLoss, LOGLOSS_EPS } from './logloss.js';
export { groupAuc, type GaucResult } from './gauc.js';
export { calibration, type Calibration } from './calibration.js';
export { reliabilityCurve, type ReliabilityBin } from './reliability.js';
export { evaluateByScenario, smallSampleReason, type EvaluateOptions } from './by-scenario.js';
export type { Predictions } from './validate.js';
export {
  runMetricsSchema,
  runTimingSchema,
  SMALL_SAMPLE_CLASS,
  splitMetricsSchema,
  scenarioMetricsSchema,
  type OracleAuc,
  type RunMetrics,
  type RunTiming,
  type SplitMetrics,
  type ScenarioMetrics,
} from './run-metrics.js';
export { aucComponents, delongPair, type AucComponents, type PairedAuc } from './delong.js';
