// The metrics room: pure functions over predictions (Float32Array/Float64Array) and 0/1 labels (Uint8Array).
export { rocAuc, aucUndefinedReason, type AucResult } from './auc.js';
export { logLoss, LOGLOSS_EPS } from './logloss.js';
export { groupAuc, type GaucResult } from './gauc.js';
export { calibration, type Calibration } from './calibration.js';
export { evaluateByScenario, type EvaluateOptions } from './by-scenario.js';
export type { Predictions } from './validate.js';
export {
  runMetricsSchema,
  splitMetricsSchema,
  scenarioMetricsSchema,
  type RunMetrics,
  type SplitMetrics,
  type ScenarioMetrics,
} from './run-metrics.js';
