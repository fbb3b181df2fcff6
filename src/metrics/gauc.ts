// Group AUC (gAUC), as in the CTR literature (Zhu et al., "Optimized Cost per Click in Taobao Display
// Advertising", KDD 2017; Zhou et al., DIN, KDD 2018): the AUC of each group (e.g. user), averaged with the
// group's number of impressions (rows) as its weight:
//     gAUC = Σ_g n_g · AUC_g / Σ_g n_g   over the groups g whose rows hold both classes.
// Groups with one class have no AUC and are left out of both sums (they are counted in `groups_skipped`).
import { OptmsmError } from '../errors.js';
import { aucOfSplitScores } from './auc.js';
import { checkInputs, type Predictions } from './validate.js';

export interface GaucResult {
  gauc: number | null;
  /** Distinct groups in the rows. */
  groups: number;
  /** Groups that counted (both classes present). */
  groups_used: number;
  /** Rows in the groups that counted: the denominator of the weighted mean. */
  rows_used: number;
}

export function groupAuc(pred: Predictions, label: Uint8Array, group: Int32Array): GaucResult {
  checkInputs(pred, label, 'gAUC');
  if (group.length !== label.length) {
    throw new OptmsmError('E_METRICS_BAD_INPUT', 'gAUC: group ids and labels differ in length', {
      expected: `${label.length} group ids`,
      found: `${group.length}`,
    });
  }
  const n = label.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => group[a] - group[b]);

  const pos = new Float64Array(n);
  const neg = new Float64Array(n);
  let groups = 0;
  let groupsUsed = 0;
  let rowsUsed = 0;
  let weighted = 0;
  for (let start = 0; start < n; ) {
    const g = group[order[start]];
    let p = 0;
    let q = 0;
    let end = start;
    for (; end < n && group[order[end]] === g; end++) {
      const i = order[end];
      if (label[i] === 1) pos[p++] = pred[i];
      else neg[q++] = pred[i];
    }
    groups++;
    if (p > 0 && q > 0) {
      const size = end - start;
      groupsUsed++;
      rowsUsed += size;
      weighted += size * aucOfSplitScores(pos.subarray(0, p), neg.subarray(0, q));
    }
    start = end;
  }
  return { gauc: rowsUsed === 0 ? null : weighted / rowsUsed, groups, groups_used: groupsUsed, rows_used: rowsUsed };
}
