// Validation of the whole input in one aggregate query over the code table: split values, labels, numerics
// without a fill rule, the number of scenarios, and that every split has rows. Errors name file:line (through
// the Source) and the raw value found.
import { OptmsmError } from '../../errors.js';
import { codeAlias, OUTSIDE_SPLIT, SCENARIO_FIELD, SPLIT_CODE, SQL } from '../contracts.js';
import type { DuckSession } from '../duck.js';
import { DATE_TEXT_FORMS, type DateFrom } from '../encoders/date.js';
import type { LabelRule } from '../label-rule.js';
import { SPLITS, type SplitSpec } from '../schema.js';
import { EMPTY_CELL } from '../readers/index.js';
import type { Source } from '../source.js';

export interface Checks {
  split: SplitSpec | null;
  label: LabelRule;
  /** Numeric fields (index, column) that have no fill rule. */
  strictNumerics: { field: number; column: string }[];
  /** One field (index) per date column, whose cells must be dates of its form. */
  dates: { field: number; column: string; from: DateFrom }[];
  maxScenarios: number | null;
  scenarioColumn: string;
  /** Where the label is configured, for the one-class check of the training split; null: no check (prediction). */
  labelAt: string | null;
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
    `count_if(${SQL.splitCode} = ${SPLIT_CODE.train} AND ${SQL.labelCode} = 1)::DOUBLE AS train_pos`,
    `count_if(${SQL.splitCode} = ${SPLIT_CODE.train} AND ${SQL.labelCode} = 0)::DOUBLE AS train_neg`,
    ...checks.strictNumerics.map((c, i) => `count_if(NOT isfinite(${codeAlias(c.field)}))::DOUBLE AS num${i}`),
    // encoders/date.ts reads a cell that is there but not a date as +Infinity.
    ...checks.dates.map((c, i) => `count_if(${codeAlias(c.field)} = 'Infinity'::DOUBLE)::DOUBLE AS date${i}`),
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
  for (const [i, c] of checks.dates.entries()) {
    if (a(`date${i}`) === 0) continue;
    const f = await first(`${codeAlias(c.field)} = 'Infinity'::DOUBLE`, c.column);
    throw new OptmsmError('E_DATA_BAD_DATE', `${rowsHave(a(`date${i}`))} a value in date column '${c.column}' that is not a date`, {
      location: f.at, found: f.value,
      expected: c.from === 'text' ? DATE_TEXT_FORMS : `a number of ${c.from === 'epoch_seconds' ? 'seconds' : 'milliseconds'} since 1970-01-01 UTC`,
      hint: `set from: text | epoch_seconds | epoch_milliseconds on the date feature reading '${c.column}' to how the column is written`,
    });
  }
  for (const [i, c] of checks.strictNumerics.entries()) {
    if (a(`num${i}`) === 0) continue;
    const f = await first(`NOT isfinite(${codeAlias(c.field)})`, c.column);
    const n = a(`num${i}`);
    const mostly = n * 2 >= a('n') && f.value !== EMPTY_CELL;
    throw new OptmsmError('E_DATA_BAD_NUMERIC', `${rowsHave(n)} an empty, NaN or infinite value in numeric column '${c.column}', which has no fill rule`, {
      location: f.at, expected: 'a finite number', found: f.value,
      hint: mostly
        ? `most values of '${c.column}' (${n} of ${a('n')} rows) are not numbers: if it holds categories, declare it with kind: categorical`
        : `add fill: <number> | mean | median to the feature reading '${c.column}'`,
    });
  }
  if (checks.maxScenarios !== null && a('nscn') > checks.maxScenarios) {
    throw new OptmsmError('E_DATA_TOO_MANY_SCENARIOS', `scenario column '${checks.scenarioColumn}' has ${a('nscn')} distinct values, more than max_scenarios = ${checks.maxScenarios}`, {
      location: `${source.files[0]!.path}: ${checks.scenarioColumn}`, expected: `at most ${checks.maxScenarios}`, found: String(a('nscn')),
      hint: 'check that `scenario:` names the right column, or raise scenario.max_scenarios',
    });
  }
  if (hasLabel && checks.labelAt !== null && a('n_train') > 0 && (a('train_pos') === 0 || a('train_neg') === 0)) {
    throw await oneClass(session, source, checks.label, checks.labelAt, a('train_pos'), a('train_neg'));
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

/** A label with one class in the training split: nothing to learn. Names the rule, the counts and the values seen. */
async function oneClass(session: DuckSession, source: Source, label: LabelRule, at: string, positives: number, negatives: number): Promise<OptmsmError> {
  const value = `TRY_CAST(${SQL.labelCell} AS DOUBLE)`;
  const [r] = await session.rows(`SELECT min(${value})::DOUBLE AS lo, max(${value})::DOUBLE AS hi FROM (${source.relation({ kind: 'second', enumTypes: new Map(), position: false })})`);
  const lo = Number(r!.lo);
  const hi = Number(r!.hi);
  const what = label.rule ? `the label rule '${label.text}'` : `the label column '${label.column}'`;
  const count = (n: number, one: string) => `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`;
  const hint = label.rule === null
    ? `every training row of '${label.column}' is ${positives === 0 ? 0 : 1}: check the split, or that the label names the right column`
    : lo >= 0 && hi <= 1
      ? `'${label.column}' is a 0/1 column already: write label: ${label.column}`
      : `the rule must hold for some training rows and not for others: choose its threshold within that range`;
  return new OptmsmError('E_DATA_ONE_CLASS', `${what} gives ${count(positives, 'positive')} and ${count(negatives, 'negative')} in the training split`, {
    location: at, expected: 'both classes among the training rows', found: `values of '${label.column}' from ${lo} to ${hi}`, hint,
  });
}
