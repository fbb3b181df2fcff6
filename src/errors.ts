// One error class for everything a user can cause, catalogued by code (docs/errors.md lists every code).
// A failed internal assertion is a different type: it means a bug in optmsm, not bad input.
import type { ZodError } from 'zod';

export const ERROR_CODES = {
  E_CONFIG_INVALID: 'A configuration file or option does not match its schema.',
  E_CONFIG_UNKNOWN_KEY: 'A configuration contains a key that no schema defines.',
  E_CONFIG_NOT_FOUND: 'A configuration file does not exist or cannot be read.',
  E_DATA_NOT_FOUND: 'A data file, directory or glob matches nothing.',
  E_DATA_EMPTY: 'A data file (or one split) has no rows.',
  E_DATA_FORMAT: 'A data file holds another format than its reader reads (e.g. gzip or Parquet bytes named .csv).',
  E_DATA_MISSING_COLUMN: 'A column named in the schema is not in the file.',
  E_DATA_BAD_ROW: 'A row does not parse as the schema says.',
  E_DATA_BAD_LABEL: 'A label value is not 0/1 (or the label rule cannot be evaluated).',
  E_DATA_ONE_CLASS: 'The label (a 0/1 column or a rule) has one class only in the training split: nothing to learn.',
  E_DATA_BAD_NUMERIC: 'A numeric feature is NaN, empty or not a number and has no fill rule.',
  E_DATA_BAD_DATE: 'A cell of a date feature is not a date of the declared form (text or epoch seconds/milliseconds).',
  E_DATA_TOO_MANY_SCENARIOS: 'The scenario column has more distinct values than the configured bound.',
  E_DATA_UNKNOWN_SCENARIO: 'A row at prediction time has a scenario value the model was not trained on.',
  E_DATA_BAD_SPLIT: 'The split definition does not produce train, validation and test rows.',
  E_DATA_ENCODER: 'A saved feature encoder is missing, corrupt or of another format version.',
  E_ENGINE_SHAPE: 'Tensor shapes do not fit an operation while tracing a model.',
  E_ENGINE_GRAPH: 'A traced graph is invalid (unknown input, missing gradient rule, duplicate name).',
  E_ENGINE_RUNTIME: 'ONNX Runtime failed to load or run a graph.',
  E_ENGINE_STATE: 'A saved parameter state does not match the model.',
  E_TRAIN_NON_FINITE: 'The loss became NaN or infinite during training.',
  E_TRAIN_CHECKPOINT: 'A checkpoint cannot be written, read or resumed.',
  E_TRAIN_RESUME_MISMATCH: '--resume with a config, seed, data or code version other than the run was trained with.',
  E_TRAIN_INTERRUPTED: 'Training stopped on SIGINT or SIGTERM; the last epoch checkpoint is kept for --resume.',
  E_METRICS_BAD_INPUT: 'Predictions given to a metric are not finite (or not in [0, 1] for LogLoss), labels are not 0/1, or lengths differ.',
  E_MODEL_UNKNOWN: 'No model of that name is registered.',
  E_MODEL_CONFIG: 'A model option is invalid for this dataset (e.g. own-combination with K != S).',
  E_RUN_NOT_FOUND: 'A run directory is missing files that the command needs.',
  E_RUN_EXISTS: 'train into a directory that holds a finished or unfinished run, without --overwrite (or --resume).',
  E_RUN_CHECKSUM: 'A run file does not match the sha256 recorded in the run\'s manifest.json (edited, truncated or copied from another run), or the manifest is missing.',
  E_RUN_INCOMPATIBLE: 'A run\'s model.onnx does not take the inputs its encoder produces, or fails its warm-up prediction (files from different runs).',
  E_SERVE_BAD_REQUEST: 'A prediction request body does not match the schema.',
  E_SERVE_BAD_JSON: 'A request body is not valid JSON.',
  E_SERVE_UNSUPPORTED_MEDIA_TYPE: 'A request body is not application/json.',
  E_SERVE_BODY_TOO_LARGE: 'A request body is larger than the server\'s --body-limit.',
  E_SERVE_TOO_MANY_ROWS: 'A prediction request has more rows than the server\'s --max-rows.',
  E_SERVE_UNKNOWN_KEY: 'A row has a key that is no column of the model, and the server runs with --strict.',
  E_SERVE_NOT_FOUND: 'No endpoint answers this method and path.',
  E_SERVE_OVERLOADED: 'The scoring queue is full (--max-queue); the answer says when to retry (Retry-After).',
  E_SERVE_TIMEOUT: 'A request was not scored within the server\'s --score-timeout.',
  E_SERVE_DRAINING: 'The server is shutting down and accepts no new requests.',
  E_SERVE_NOT_READY: 'The model has not passed its warm-up prediction yet.',
  E_SERVE_LISTEN: 'The server cannot listen on the address: the port is in use or not allowed, or the host is unknown.',
  E_CLI_USAGE: 'A command-line argument is missing or invalid.',
  E_INTERNAL: 'A bug in optmsm (an internal assertion failed); please report it.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The HTTP status that answers each code when it reaches a client: 4xx where the request can be fixed, 5xx where
 * the server (its files, its load, its code) is at fault. One table, so no status is guessed from a prefix.
 */
export const HTTP_STATUS = {
  E_CONFIG_INVALID: 400,
  E_CONFIG_UNKNOWN_KEY: 400,
  E_CONFIG_NOT_FOUND: 404,
  E_DATA_NOT_FOUND: 404,
  E_DATA_EMPTY: 422,
  E_DATA_FORMAT: 422,
  E_DATA_MISSING_COLUMN: 422,
  E_DATA_BAD_ROW: 422,
  E_DATA_BAD_LABEL: 422,
  E_DATA_ONE_CLASS: 422,
  E_DATA_BAD_NUMERIC: 422,
  E_DATA_BAD_DATE: 422,
  E_DATA_TOO_MANY_SCENARIOS: 422,
  E_DATA_UNKNOWN_SCENARIO: 422,
  E_DATA_BAD_SPLIT: 422,
  E_DATA_ENCODER: 500,
  E_ENGINE_SHAPE: 500,
  E_ENGINE_GRAPH: 500,
  E_ENGINE_RUNTIME: 500,
  E_ENGINE_STATE: 500,
  E_TRAIN_NON_FINITE: 500,
  E_TRAIN_CHECKPOINT: 500,
  E_TRAIN_RESUME_MISMATCH: 409,
  E_TRAIN_INTERRUPTED: 503,
  E_METRICS_BAD_INPUT: 422,
  E_MODEL_UNKNOWN: 404,
  E_MODEL_CONFIG: 400,
  E_RUN_NOT_FOUND: 404,
  E_RUN_EXISTS: 409,
  E_RUN_CHECKSUM: 500,
  E_RUN_INCOMPATIBLE: 500,
  E_SERVE_BAD_REQUEST: 400,
  E_SERVE_BAD_JSON: 400,
  E_SERVE_UNSUPPORTED_MEDIA_TYPE: 415,
  E_SERVE_BODY_TOO_LARGE: 413,
  E_SERVE_TOO_MANY_ROWS: 413,
  E_SERVE_UNKNOWN_KEY: 422,
  E_SERVE_NOT_FOUND: 404,
  E_SERVE_OVERLOADED: 503,
  E_SERVE_TIMEOUT: 503,
  E_SERVE_DRAINING: 503,
  E_SERVE_NOT_READY: 503,
  E_SERVE_LISTEN: 500,
  E_CLI_USAGE: 400,
  E_INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>;

export interface ErrorDetails {
  /** Where: file:line, a field path such as `features.age.normalize`, or an op name. */
  location?: string;
  expected?: string;
  found?: string;
  hint?: string;
  /** The exit status the CLI ends with (default 1), e.g. 130 after SIGINT. */
  exitCode?: number;
}

export class OptmsmError extends Error {
  readonly code: ErrorCode;
  readonly location?: string;
  readonly expected?: string;
  readonly found?: string;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'OptmsmError';
    this.code = code;
    this.location = details.location;
    this.expected = details.expected;
    this.found = details.found;
    this.hint = details.hint;
    this.exitCode = details.exitCode ?? 1;
  }

  /** One human line (plus optional detail lines), as the CLI prints it. */
  pretty(): string {
    const lines = [`✖ ${this.message}${this.location ? ` → at ${this.location}` : ''}`];
    if (this.expected !== undefined) lines.push(`  expected: ${this.expected}`);
    if (this.found !== undefined) lines.push(`  found:    ${this.found}`);
    if (this.hint !== undefined) lines.push(`  hint:     ${this.hint}`);
    lines.push(`  [${this.code}]`);
    return lines.join('\n');
  }
}

export interface ZodErrorContext {
  /** The file the value came from: it starts the message and the location. */
  file?: string;
  /** Starts the message when there is no file, e.g. "model 'optmsm'". */
  name?: string;
  /** Key path of the validated value inside its file, e.g. 'train' or 'model'. */
  prefix?: string;
  /** What an unknown key should have been, e.g. "only the keys documented in docs/data.md". */
  knownKeys?: string;
  /** The value that was validated: a wrong choice (an enum value, a `kind`) is then named beside the allowed ones. */
  input?: unknown;
}

/** The value at `path` inside `input`, or undefined. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

const shown = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : v === undefined ? '(missing)' : JSON.stringify(v));

/**
 * The first issue of a failed schema parse at an edge (configs, flags, request bodies) as one OptmsmError that
 * names the key path; an unknown key gets E_CONFIG_UNKNOWN_KEY, anything else E_CONFIG_INVALID.
 */
export function fromZodError(error: ZodError, context: ZodErrorContext): OptmsmError {
  const { issue, count } = firstIssue(error.issues);
  const at = (path: readonly PropertyKey[]) => [context.prefix, ...path.map(String)].filter(Boolean).join('.');
  const where = (path: string) => (context.file ? `${context.file}: ${path || '(root)'}` : path || '(root)');
  const label = context.file ?? context.name ?? 'config';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    const parent = at(issue.path);
    return new OptmsmError('E_CONFIG_UNKNOWN_KEY', `${label}: unknown key ${keys}${parent ? ` in ${parent}` : ''}`, {
      location: where(at([...issue.path, issue.keys[0]!])),
      expected: context.knownKeys,
      found: keys,
    });
  }
  const path = at(issue.path);
  const more = count > 1 ? ` (and ${count - 1} more problems)` : '';
  // A value outside a fixed set (an enum, a literal, the discriminator of a union such as a feature's `kind`).
  const choices = issue.code === 'invalid_value' ? issue.values : issue.code === 'invalid_union' ? (issue as { options?: readonly unknown[] }).options : undefined;
  if (choices !== undefined && choices.length > 0 && context.input !== undefined) {
    const found = shown(valueAt(context.input, issue.path));
    const allowed = `one of ${choices.map(shown).join(', ')}`;
    return new OptmsmError('E_CONFIG_INVALID', `${label}: ${path || '(root)'}: ${found} is not ${allowed}${more}`, {
      location: where(path), expected: allowed, found,
    });
  }
  return new OptmsmError('E_CONFIG_INVALID', `${label}: ${path || '(root)'}: ${issue.message}${more}`, {
    location: where(path),
    expected: issue.message,
  });
}

type Issue = ZodError['issues'][number];

/**
 * The issue to report and how many problems its branch has. A value that matches no branch of a union is
 * reported by the branch it came closest to (fewest problems), with paths made absolute: "synthetic.rows:
 * expected number" instead of "synthetic: Invalid input".
 */
function firstIssue(issues: readonly Issue[]): { issue: Issue; count: number } {
  const issue = issues[0]!;
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { issue, count: issues.length };
  const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
  if (closest.length === 0) return { issue, count: issues.length };
  const inner = firstIssue(closest.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as Issue));
  return { issue: inner.issue, count: inner.count + issues.length - 1 };
}

export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error (a bug in optmsm): ${message}`);
    this.name = 'InternalError';
  }
}

export function assertInternal(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InternalError(message);
}
