// Validation of the whole input in one aggregate query over the code table: split values, labels, numerics
// without a fill rule, the number of scenarios, and that every split has rows. Errors name file:line (through
// the Source) and the raw value found.
import { OptmsmError } from '../../errors.js';
import { codeAlias, OUTSIDE_SPLIT, SCENARIO_FIELD, SPLIT_CODE, SQL } from '../contracts.js';
import type { DuckSession } from '../duck.js';
import type { LabelRule } from '../label-rule.js';
import { SPLITS, type SplitSpec } from '../schema.js';
import type { Source } from '../source.js';

export interface Checks {
  split: SplitSpec | null;
  label: LabelRule;
  /** Numeric fields (index, column) that have no fill rule. */
  strictNumerics: { field: number; column: string }[];
  maxScenarios: number | null;
  scenarioColumn: string;
}

/** Validates the whole input; returns rows per split (train, validation, test). */
export async function validateData(session: DuckSession, source: Source, codes: string, checks: Checks): Promise<number[]> {
  const hasLabel = source.has(SQL.labelCell);
  const aggs = [
    'count(*)::DOUBLE AS n',
    ...SPLITS.map((s) => `count_if(${SQL.splitCode} = ${SPLIT_CODE[s]})::DOUBLE AS n_${s}`),
    `count_if(${SQL.splitCode} = ${OUTSIDE_SPLIT})::DOUBLE AS nbad`,
    `${hasLabel ? `count_if(${SQL.labelCode} IS NULL)` : '0'}::DOUBLE AS nlabel`,
    `count(DISTINCT ${codeAlias(SCENARIO_FIELD)})::DOUBLE AS nscn`,
    ...checks.strictNumerics.map((c, i) => `count_if(NOT isfinite(${codeAlias(c.field)}))::DOUBLE AS num${i}`),
  ];
  const [agg] = await session.rows(`SELECT ${aggs.join(', ')} FROM ${codes}`);
  const a = (k: string): number => Number(agg![k] ?? 0);
  if (a('n') !== source.rows) {
    throw new OptmsmError('E_DATA_BAD_ROW', `the two reads of ${source.allFiles[0]} disagree (${source.rows} then ${a('n')} rows): was the file changed while reading?`, {
      location: source.allFiles[0],
    });
  }
  const rowsHave = (n: number): string => (n === 1 ? '1 row has' : `${n} rows have`);
  const first = async (where: string, column: string): Promise<{ at: string; value: string }> => {
    const [r] = await session.rows(`SELECT ${SQL.rowId}::DOUBLE AS rid FROM ${codes} WHERE ${where} ORDER BY ${SQL.rowId} LIMIT 1`);
    const rid = Number(r!.rid);
    return { at: source.locate(rid), value: await source.rawValue(rid, column) };
  };
  if (a('nbad') > 0) {
    const s = checks.split!;
    const column = 'column' in s ? s.column : '';
    const f = await first(`${SQL.splitCode} = ${OUTSIDE_SPLIT}`, column);
    throw new OptmsmError('E_DATA_BAD_SPLIT', `${rowsHave(a('nbad'))} a split value that is not train, validation or test (column '${column}')`, {
      location: f.at,
      expected: s.kind === 'column' ? `one of ${[...s.train, ...s.validation, ...s.test].join(', ')}` : 'a number or timestamp',
      found: f.value,
    });
  }
  if (a('nlabel') > 0) {
    const f = await first(`${SQL.labelCode} IS NULL`, checks.label.column);
    throw new OptmsmError('E_DATA_BAD_LABEL', `${rowsHave(a('nlabel'))} a label in column '${checks.label.column}' that is not ${checks.label.rule ? 'a number' : '0 or 1'}`, {
      location: f.at, expected: checks.label.rule ? `a number for the rule ${checks.label.text}` : '0 or 1', found: f.value,
    });
  }
  for (const [i, c] of checks.strictNumerics.entries()) {
    if (a(`num${i}`) === 0) continue;
    const f = await first(`NOT isfinite(${codeAlias(c.field)})`, c.column);
    throw new OptmsmError('E_DATA_BAD_NUMERIC', `${rowsHave(a(`num${i}`))} an empty, NaN or infinite value in numeric column '${c.column}', which has no fill rule`, {
      location: f.at, expected: 'a finite number', found: f.value, hint: `add fill: <number> | mean | median to the feature reading '${c.column}'`,
    });
  }
  if (checks.maxScenarios !== null && a('nscn') > checks.maxScenarios) {
    throw new OptmsmError('E_DATA_TOO_MANY_SCENARIOS', `scenario column '${checks.scenarioColumn}' has ${a('nscn')} distinct values, more than max_scenarios = ${checks.maxScenarios}`, {
      location: `${source.files[0]!.path}: ${checks.scenarioColumn}`, expected: `at most ${checks.maxScenarios}`, found: String(a('nscn')),
      hint: 'check that `scenario:` names the right column, or raise scenario.max_scenarios',
    });
  }
  const counts = SPLITS.map((s) => a(`n_${s}`));
  if (checks.split !== null) {
    counts.forEach((n, i) => {
      if (n === 0) {
        throw new OptmsmError('E_DATA_BAD_SPLIT', `the split gives no ${SPLITS[i]} rows`, {
          location: source.files[0]!.path, expected: 'train, validation and test rows', found: counts.join(' / '),
        });
      }
    });
  }
  return counts;
}
