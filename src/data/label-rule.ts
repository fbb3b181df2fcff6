// The label is either a 0/1 column or a rule `column op number` (e.g. `rating >= 4`). The rule is parsed by a
// tiny grammar, never evaluated as code, so a config cannot run anything.
import { OptmsmError } from '../errors.js';

export type CompareOp = '>=' | '>' | '<=' | '<' | '==' | '!=';
export interface LabelRule {
  column: string;
  /** null: the column itself holds 0/1. */
  rule: { op: CompareOp; value: number } | null;
  text: string;
}

const RULE = /^\s*(?:"([^"]+)"|`([^`]+)`|([A-Za-z_][\w.]*))\s*(>=|<=|==|!=|>|<|=)\s*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*$/;
const COLUMN = /^\s*(?:"([^"]+)"|`([^`]+)`|([^\s<>=!"`]+))\s*$/;

export function parseLabelRule(text: string, location: string): LabelRule {
  const m = RULE.exec(text);
  if (m) {
    const op = (m[4] === '=' ? '==' : m[4]) as CompareOp;
    return { column: (m[1] ?? m[2] ?? m[3])!, rule: { op, value: Number(m[5]) }, text };
  }
  const c = COLUMN.exec(text);
  if (c) return { column: (c[1] ?? c[2] ?? c[3])!, rule: null, text };
  throw new OptmsmError('E_CONFIG_INVALID', `label '${text}' is neither a column nor a rule`, {
    location,
    expected: 'a 0/1 column name, or `column op number` with op one of >= > <= < == !=',
    found: text,
  });
}

/** The label of one raw value under the rule; null when the value is not usable (not 0/1, not a number). */
export function applyLabelRule(rule: LabelRule, value: number): 0 | 1 | null {
  if (!Number.isFinite(value)) return null;
  if (rule.rule === null) return value === 0 ? 0 : value === 1 ? 1 : null;
  const { op, value: t } = rule.rule;
  const r = op === '>=' ? value >= t : op === '>' ? value > t : op === '<=' ? value <= t : op === '<' ? value < t
    : op === '==' ? value === t : value !== t;
  return r ? 1 : 0;
}

/** The same rule as a DuckDB expression over a DOUBLE expression (NULL where the value is unusable). */
export function labelRuleSql(rule: LabelRule, valueSql: string): string {
  if (rule.rule === null) return `CASE WHEN ${valueSql} IN (0, 1) THEN ${valueSql} END`;
  const op = rule.rule.op === '==' ? '=' : rule.rule.op === '!=' ? '<>' : rule.rule.op;
  return `CASE WHEN isfinite(${valueSql}) THEN CASE WHEN ${valueSql} ${op} ${rule.rule.value} THEN 1 ELSE 0 END END`;
}
