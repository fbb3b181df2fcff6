// All metrics of one split, overall and per scenario, in the metrics.json shape. Rows are bucketed by scenario
// with one counting pass, so each scenario's metrics run on its own contiguous copy.
import { OptmsmError } from '../errors.js';
import { aucUndefinedReason, rocAuc } from './auc.js';
import { calibration } from './calibration.js';
import { groupAuc } from './gauc.js';
import { logLoss } from './logloss.js';
import { reliabilityCurve } from './reliability.js';
import { SMALL_SAMPLE_CLASS, type ScenarioMetrics, type SplitMetrics } from './run-metrics.js';
import { checkInputs, countPositives, type Predictions } from './validate.js';

export interface EvaluateOptions {
  /** Group id per row (e.g. user); adds gAUC overall and per scenario. */
  groups?: Int32Array;
  /** Adds the reliability curve with this many bins, overall and per scenario. */
  reliabilityBins?: number;
}

function metricsOf(pred: Predictions, label: Uint8Array, groups: Int32Array | undefined, bins: number | undefined): ScenarioMetrics {
  const rows = label.length;
  const positives = countPositives(label);
  const reason = aucUndefinedReason(rows, positives);
  const out: ScenarioMetrics = {
    rows,
    positives,
    auc: reason === undefined ? rocAuc(pred, label).auc : null,
    logloss: logLoss(pred, label),
    calibration: calibration(pred, label),
  };
  if (reason !== undefined) out.auc_undefined_reason = reason;
  else {
    const small = smallSampleReason(rows, positives);
    if (small !== undefined) out.small_sample_reason = small;
  }
  if (groups !== undefined) out.gauc = groupAuc(pred, label, groups).gauc;
  if (bins !== undefined) out.reliability = reliabilityCurve(pred, label, bins);
  return out;
}

/** Why a defined AUC rests on too few rows of one class to compare, or undefined. */
export function smallSampleReason(rows: number, positives: number): string | undefined {
  const negatives = rows - positives;
  const fewest = Math.min(positives, negatives);
  if (fewest >= SMALL_SAMPLE_CLASS) return undefined;
  const cls = positives <= negatives ? (positives === 1 ? 'positive' : 'positives') : negatives === 1 ? 'negative' : 'negatives';
  return `${fewest} ${cls} (fewer than ${SMALL_SAMPLE_CLASS}): the AUC is too noisy to compare`;
}

function checkScenarios(scenario: Int32Array, rows: number, values: readonly string[]): void {
  if (scenario.length !== rows) {
    throw new OptmsmError('E_METRICS_BAD_INPUT', 'evaluation: scenario ids and labels differ in length', {
      expected: `${rows} scenario ids`,
      found: `${scenario.length}`,
    });
  }
  if (new Set(values).size !== values.length) {
    throw new OptmsmError('E_METRICS_BAD_INPUT', 'evaluation: scenario values are not distinct', {
      found: values.join(', '),
    });
  }
  for (let i = 0; i < rows; i++) {
    const s = scenario[i];
    if (s < 0 || s >= values.length) {
      throw new OptmsmError('E_METRICS_BAD_INPUT', `evaluation: scenario id ${s} at row ${i} is out of range`, {
        location: `row ${i}`,
        expected: `an index in [0, ${values.length - 1}]`,
        found: String(s),
      });
    }
  }
}

/**
 * Overall and per-scenario metrics. `scenario[i]` indexes `scenarioValues`; every value gets an entry, also
 * one with no rows. A scenario (or split) with one class has `auc: null` and `auc_undefined_reason`.
 */
export function evaluateByScenario(
  pred: Predictions,
  label: Uint8Array,
  scenario: Int32Array,
  scenarioValues: readonly string[],
  options: EvaluateOptions = {},
): SplitMetrics {
  const { groups, reliabilityBins } = options;
  checkInputs(pred, label, 'evaluation');
  checkScenarios(scenario, label.length, scenarioValues);
  if (groups !== undefined && groups.length !== label.length) {
    throw new OptmsmError('E_METRICS_BAD_INPUT', 'evaluation: group ids and labels differ in length', {
      expected: `${label.length} group ids`,
      found: `${groups.length}`,
    });
  }

  const S = scenarioValues.length;
  const start = new Int32Array(S + 1);
  for (let i = 0; i < scenario.length; i++) start[scenario[i] + 1]++;
  for (let s = 0; s < S; s++) start[s + 1] += start[s];
  const fill = start.slice(0, S);
  const p = new Float64Array(pred.length);
  const y = new Uint8Array(label.length);
  const g = groups === undefined ? undefined : new Int32Array(groups.length);
  for (let i = 0; i < scenario.length; i++) {
    const at = fill[scenario[i]]++;
    p[at] = pred[i];
    y[at] = label[i];
    if (g !== undefined && groups !== undefined) g[at] = groups[i];
  }

  const overall: ScenarioMetrics & Pick<SplitMetrics, 'gauc_groups'> = metricsOf(pred, label, undefined, reliabilityBins);
  if (groups !== undefined) {
    const { gauc, ...counts } = groupAuc(pred, label, groups);
    overall.gauc = gauc;
    overall.gauc_groups = counts;
  }
  const scenarios: Record<string, ScenarioMetrics> = {};
  for (let s = 0; s < S; s++) {
    const [a, b] = [start[s], start[s + 1]];
    scenarios[scenarioValues[s]] = metricsOf(p.subarray(a, b), y.subarray(a, b), g?.subarray(a, b), reliabilityBins);
  }
  return { ...overall, scenarios };
}
