// The oracle: the AUC of the true click probability, the best any model can reach, known for data that carries it
// (the dataset config's oracle_column; the synthetic generators' true_prob). Reported beside the models' AUC.
import type { EncodedColumns, PreparedDataset } from '../data/index.js';
import { assertInternal } from '../errors.js';
import { evaluateByScenario, type OracleAuc } from '../metrics/index.js';

/** The oracle AUC of a split, overall and per scenario; undefined when the dataset names no oracle column. */
export function oracleOf(data: PreparedDataset, column: string | null, columns: EncodedColumns = data.test): OracleAuc | undefined {
  if (column === null) return undefined;
  const truth = columns.extra[column];
  assertInternal(truth instanceof Float64Array, `the oracle column ${column} is carried as a float64 extra column`);
  const split = evaluateByScenario(Float32Array.from(truth), columns.label, columns.scenario, data.scenarios.values);
  return { auc: split.auc, scenarios: Object.fromEntries(Object.entries(split.scenarios).map(([k, v]) => [k, v.auc])) };
}
