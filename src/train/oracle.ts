// The oracle: the AUC of the true click probability, the best any model can reach, known for data that carries it
// (the synthetic generator's true_prob column). Reported beside the models' AUC in tables and reports.
import type { EncodedColumns, PreparedDataset } from '../data/index.js';
import { evaluateByScenario, type OracleAuc } from '../metrics/index.js';

/** The oracle AUC of a split, overall and per scenario; undefined when the data has no true probability. */
export function oracleOf(data: PreparedDataset, columns: EncodedColumns = data.test): OracleAuc | undefined {
  const truth = columns.extra.true_prob;
  if (!(truth instanceof Float64Array)) return undefined;
  const split = evaluateByScenario(Float32Array.from(truth), columns.label, columns.scenario, data.scenarios.values);
  return { auc: split.auc, scenarios: Object.fromEntries(Object.entries(split.scenarios).map(([k, v]) => [k, v.auc])) };
}
