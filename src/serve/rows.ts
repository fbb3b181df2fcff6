// The contract of a prediction request, derived from the run's feature encoder: which raw columns a row must
// have, what each cell may be, which keys are accepted without being read. One Zod schema checks a body and gives
// GET /model its JSON Schema; errors name the row and column (`body.rows.3.user_id`). A body that is certainly
// valid skips Zod: each cell kind has, beside its schema, the plain type test the schema amounts to (a test
// proves they agree), and only a body that fails those tests goes through Zod for the error it gets. Zod's
// unions cost about as much per 64-row body as encoding it.
import { z } from 'zod';
import type { FeatureEncoder } from '../data/index.js';
import { OptmsmError } from '../errors.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
// Zod's number is finite (JSON cannot write NaN or Infinity, but the test of a cell must mean what the schema does).
const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isScalar = (v: unknown): boolean => typeof v === 'string' || isNumber(v) || typeof v === 'boolean';

export type CellKind = 'categorical' | 'multi' | 'numeric' | 'date' | 'any';

type CellError = (issue: { input?: unknown }) => string;

/** A number, a string (parsed by the encoder) or null: numeric and date cells. */
const numberOrText = {
  schema: (error: CellError) => z.union([z.number(), z.string(), z.null()], { error }),
  accepts: (v: unknown) => v === null || isNumber(v) || typeof v === 'string',
};

/** Per cell kind: what it takes (for the error), its schema, and the same test without Zod. */
export const CELL_KINDS: Record<CellKind, { expected: string; schema: (error: CellError) => z.ZodType; accepts: (v: unknown) => boolean }> = {
  categorical: {
    expected: 'a string, number, boolean or null',
    schema: (error) => z.union([z.string(), z.number(), z.boolean(), z.null()], { error }),
    accepts: (v) => v === null || isScalar(v),
  },
  multi: {
    expected: 'a list of strings or numbers, a separator-joined string, or null',
    schema: (error) => z.union([z.string(), z.array(scalar), z.null()], { error }),
    accepts: (v) => v === null || typeof v === 'string' || (Array.isArray(v) && v.every(isScalar)),
  },
  numeric: { expected: 'a number, a numeric string, or null (the fill value)', ...numberOrText },
  date: { expected: 'a date (text, or a number since 1970-01-01 UTC), or null', ...numberOrText },
  any: {
    expected: 'a string, number, boolean or null',
    schema: (error) => z.union([scalar, z.null()], { error }).optional(),
    accepts: (v) => v === undefined || v === null || isScalar(v),
  },
};

/** The cell schema of one column, whose type error says what the column takes (never a bare "Invalid input"). */
function cellSchema(kind: CellKind, column: string): z.ZodType {
  const { expected, schema } = CELL_KINDS[kind];
  return schema((issue) => (issue.input === undefined ? `column '${column}' is missing` : `column '${column}' takes ${expected}`));
}

export interface RowContract {
  /** Columns the model reads: every row must have each of them. */
  required: string[];
  /** Columns accepted but not read to score (the label, evaluation columns). */
  optional: string[];
  /** The schema of one row (unknown keys pass through it; `unknownKeys` reports them). */
  row: z.ZodType<Record<string, unknown>>;
  request: z.ZodType<{ rows: Record<string, unknown>[] }>;
  /** True only for a body `request` accepts, tested without Zod; false means: ask `request` why. */
  accepts: (body: unknown) => body is { rows: Record<string, unknown>[] };
}

export function rowContract(encoder: FeatureEncoder, maxRows: number): RowContract {
  const kinds = new Map<string, CellKind>();
  for (const f of encoder.state.fields) {
    if (kinds.has(f.column)) continue; // one raw column can feed several fields
    if (f.source === 'date-part' || ((f.source === 'numeric' || f.source === 'bucket') && f.days)) kinds.set(f.column, 'date');
    else if (f.source === 'scenario' || f.source === 'categorical') kinds.set(f.column, 'categorical');
    else if (f.source === 'numeric' || f.source === 'bucket') kinds.set(f.column, 'numeric');
    else kinds.set(f.column, 'multi'); // every multi-valued source: a list, or one joined string
  }
  const required = [...kinds.keys()];
  const optional = [encoder.state.label.column, ...encoder.state.extraColumns].filter((c) => !kinds.has(c));
  for (const c of optional) kinds.set(c, 'any');
  const shape = Object.fromEntries([...kinds].map(([column, kind]) => [column, cellSchema(kind, column)]));
  const row = z.looseObject(shape).describe('one impression: its raw columns, as in the training data');
  const request = z.strictObject({
    rows: z.array(row).min(1).max(maxRows).describe('raw rows, one object per impression'),
  });
  const tests = [...kinds].map(([column, kind]) => [column, CELL_KINDS[kind].accepts] as const);
  const isRow = (r: unknown): boolean => typeof r === 'object' && r !== null && !Array.isArray(r)
    && tests.every(([column, accepts]) => accepts(Object.hasOwn(r, column) ? (r as Record<string, unknown>)[column] : undefined));
  const accepts = (body: unknown): body is { rows: Record<string, unknown>[] } => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
    const keys = Object.keys(body);
    const rows = (body as { rows?: unknown }).rows;
    return keys.length === 1 && keys[0] === 'rows' && Array.isArray(rows) && rows.length >= 1 && rows.length <= maxRows && rows.every(isRow);
  };
  return { required, optional, row, request, accepts };
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
