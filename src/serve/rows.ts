// The contract of a prediction request, derived from the run's feature encoder: which raw columns a row must
// have, what each cell may be, which keys are accepted without being read. One Zod schema checks a body and gives
// GET /model its JSON Schema; errors name the row and column (`body.rows.3.user_id`).
import { z } from 'zod';
import type { FeatureEncoder } from '../data/index.js';
import { OptmsmError } from '../errors.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** The cell schema of one column, whose type error says what the column takes (never a bare "Invalid input"). */
function cellSchema(kind: 'categorical' | 'multi' | 'numeric' | 'date' | 'any', column: string): z.ZodType {
  const message = (expected: string) => (issue: { input?: unknown }) =>
    issue.input === undefined ? `column '${column}' is missing` : `column '${column}' takes ${expected}`;
  switch (kind) {
    case 'categorical':
      return z.union([z.string(), z.number(), z.boolean(), z.null()], { error: message('a string, number, boolean or null') });
    case 'multi':
      return z.union([z.string(), z.array(scalar), z.null()], {
        error: message('a list of strings or numbers, a separator-joined string, or null'),
      });
    case 'numeric':
      return z.union([z.number(), z.string(), z.null()], { error: message('a number, a numeric string, or null (the fill value)') });
    case 'date':
      return z.union([z.string(), z.number(), z.null()], { error: message('a date (text, or a number since 1970-01-01 UTC), or null') });
    case 'any':
      return z.union([scalar, z.null()], { error: message('a string, number, boolean or null') }).optional();
  }
}

export interface RowContract {
  /** Columns the model reads: every row must have each of them. */
  required: string[];
  /** Columns accepted but not read to score (the label, evaluation columns). */
  optional: string[];
  /** The schema of one row (unknown keys pass through it; `unknownKeys` reports them). */
  row: z.ZodType<Record<string, unknown>>;
  request: z.ZodType<{ rows: Record<string, unknown>[] }>;
}

export function rowContract(encoder: FeatureEncoder, maxRows: number): RowContract {
  const shape: Record<string, z.ZodType> = {};
  const required: string[] = [];
  for (const f of encoder.state.fields) {
    if (Object.hasOwn(shape, f.column)) continue; // one raw column can feed several fields
    if (f.source === 'date-part' || ((f.source === 'numeric' || f.source === 'bucket') && f.days)) shape[f.column] = cellSchema('date', f.column);
    else if (f.source === 'scenario' || f.source === 'categorical') shape[f.column] = cellSchema('categorical', f.column);
    else if (f.source === 'numeric' || f.source === 'bucket') shape[f.column] = cellSchema('numeric', f.column);
    else shape[f.column] = cellSchema('multi', f.column); // every multi-valued source: a list, or one joined string
    required.push(f.column);
  }
  const optional = [encoder.state.label.column, ...encoder.state.extraColumns].filter((c) => !Object.hasOwn(shape, c));
  for (const c of optional) shape[c] = cellSchema('any', c);
  const row = z.looseObject(shape).describe('one impression: its raw columns, as in the training data');
  const request = z.strictObject({
    rows: z.array(row).min(1).max(maxRows).describe('raw rows, one object per impression'),
  });
  return { required, optional, row, request };
}

/** Where a failed parse points, as a request path: ['rows', 3, 'user_id'] -> 'body.rows.3.user_id'. */
export const bodyPath = (path: readonly PropertyKey[]): string => ['body', ...path.map(String)].join('.');

/** The first problem of a body that does not match the contract, as the error a client gets. */
export function requestError(error: z.ZodError, body: unknown, maxRows: number): OptmsmError {
  const issue = error.issues[0]!;
  const path = bodyPath(issue.path);
  if (issue.code === 'too_big' && issue.path.length === 1) {
    return new OptmsmError('E_SERVE_TOO_MANY_ROWS', `a request may have at most ${maxRows} rows (--max-rows)`, {
      location: path, expected: `at most ${maxRows} rows`, hint: 'split the rows over several requests',
    });
  }
  if (issue.path.length === 3) {
    const [, index, column] = issue.path;
    const row = (body as { rows: Record<string, unknown>[] }).rows[index as number]!;
    if (!Object.hasOwn(row, column as string)) {
      return new OptmsmError('E_DATA_MISSING_COLUMN', `row ${String(index)} has no column '${String(column)}', which the model reads`, {
        location: path, expected: `a key '${String(column)}' in every row (GET /model lists the columns)`,
      });
    }
  }
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  return new OptmsmError('E_SERVE_BAD_REQUEST', `${path}: ${issue.message}${more}`, { location: path, expected: issue.message });
}

export interface UnknownKeys {
  /** Distinct unknown keys with the rows they appear in (first row, count). */
  keys: Map<string, { first: number; rows: number }>;
  /** Cells with an unknown key, over all rows. */
  cells: number;
}

/** Keys of the raw rows that are no column of the contract (own keys only, so `__proto__` is just a key). */
export function unknownKeys(rows: readonly object[], known: ReadonlySet<string>): UnknownKeys {
  const keys = new Map<string, { first: number; rows: number }>();
  let cells = 0;
  rows.forEach((row, r) => {
    for (const key of Object.keys(row)) {
      if (known.has(key)) continue;
      cells++;
      const seen = keys.get(key);
      if (seen) seen.rows++;
      else keys.set(key, { first: r, rows: 1 });
    }
  });
  return { keys, cells };
}

const MAX_WARNINGS = 10;

/** The `warnings` of a response: one line per unknown key, at most MAX_WARNINGS and a count of the rest. */
export function unknownKeyWarnings(found: UnknownKeys): string[] {
  const lines = [...found.keys].slice(0, MAX_WARNINGS).map(([key, { first, rows }]) =>
    `unknown key '${key}' in ${rows} row${rows === 1 ? '' : 's'} (first: body.rows.${first}) is no column of the model and was ignored`);
  if (found.keys.size > MAX_WARNINGS) lines.push(`and ${found.keys.size - MAX_WARNINGS} more unknown keys`);
  return lines;
}

export function strictError(found: UnknownKeys, known: readonly string[]): OptmsmError {
  const [key, { first }] = found.keys.entries().next().value!;
  return new OptmsmError('E_SERVE_UNKNOWN_KEY', `row ${first} has a key '${key}' that is no column of the model (the server runs with --strict)`, {
    location: `body.rows.${first}.${key}`,
    expected: `only the columns ${known.map((c) => `'${c}'`).join(', ')}`,
    found: [...found.keys.keys()].map((k) => `'${k}'`).join(', '),
  });
}

/** An encoder location ("row 3, column 'page'") as a request path; anything else is kept as it is. */
export function encoderPath(location: string | undefined): string | undefined {
  const m = location?.match(/^row (\d+), column '(.*)'$/);
  return m ? `body.rows.${m[1]}.${m[2]}` : location;
}
