// The fitted feature encoder: vocabularies, hash buckets, numeric statistics, bucket boundaries and the scenario
// map, saved next to a model as one JSON file (with format version and checksum). Training (through DuckDB, see
// encode.ts) and prediction (encodeRows here) map every distinct value through the same functions below, so a
// raw row always encodes exactly as it did in training.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { OptmsmError } from '../errors.js';
import { DATE_TEXT_FORMS, dateSeconds, datePart, epochDays, PART_VALUES, type DateFrom } from './encoders/date.js';
import { hashId } from './encoders/hash.js';
import { bucketId, normalizeValue, type NumericStats } from './encoders/numeric.js';
import { applyLabelRule, type LabelRule } from './label-rule.js';
import { emptyColumns, type EncodedColumns, type FieldInfo } from './columns.js';
import { idOf, OOV_ID, tableRows } from './contracts.js';

export const ENCODER_FORMAT_VERSION = 1;

const scope = z.enum(['shared', 'specific']);
const statsSchema = z.strictObject({
  count: z.number(), min: z.number(), max: z.number(), mean: z.number(), std: z.number(), median: z.number(),
});
const dateFrom = z.enum(['text', 'epoch_seconds', 'epoch_milliseconds']);
/** Set on a numeric or bucketed field read from a date column: its value is days since `reference` (days since 1970-01-01). */
const daysSchema = z.strictObject({ from: dateFrom, reference: z.number() }).optional();
const fieldStateSchema = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('scenario'), name: z.string(), column: z.string(), scope: z.literal('specific'),
    embeddingDim: z.number().int(),
  }),
  z.strictObject({
    source: z.literal('categorical'), name: z.string(), column: z.string(), scope, embeddingDim: z.number().int(),
    vocab: z.array(z.string()).nullable(), hashBuckets: z.number().int().nullable(), minCount: z.number().int(),
  }),
  z.strictObject({
    source: z.literal('multi'), name: z.string(), column: z.string(), scope, embeddingDim: z.number().int(),
    vocab: z.array(z.string()).nullable(), hashBuckets: z.number().int().nullable(), minCount: z.number().int(),
    separator: z.string(), maxLen: z.number().int(), pooling: z.enum(['mean', 'sum']),
  }),
  z.strictObject({
    source: z.literal('sequence'), name: z.string(), column: z.string(), scope, embeddingDim: z.number().int(),
    /** The categorical field whose vocabulary the ids share. */
    vocabulary: z.string(), separator: z.string(), maxLen: z.number().int(), pooling: z.enum(['mean', 'sum', 'attention']),
    /** How the column was derived from the rows as an event log (null: read from the data). */
    history: z.strictObject({ key: z.string(), time: z.string(), values: z.string() }).nullable(),
  }),
  z.strictObject({
    source: z.literal('numeric'), name: z.string(), column: z.string(), scope,
    normalize: z.enum(['none', 'min-max', 'standard', 'log']), stats: statsSchema, fill: z.number().nullable(), days: daysSchema,
  }),
  z.strictObject({
    source: z.literal('bucket'), name: z.string(), column: z.string(), scope, embeddingDim: z.number().int(),
    boundaries: z.array(z.number()), stats: statsSchema, fill: z.number().nullable(), days: daysSchema,
  }),
  z.strictObject({
    source: z.literal('date-part'), name: z.string(), column: z.string(), scope, embeddingDim: z.number().int(),
    part: z.enum(['hour', 'weekday', 'month']), from: dateFrom,
  }),
]);
export type FieldState = z.infer<typeof fieldStateSchema>;

const encoderStateSchema = z.strictObject({
  formatVersion: z.number().int(),
  dataset: z.string(),
  label: z.strictObject({
    column: z.string(), text: z.string(),
    rule: z.strictObject({ op: z.enum(['>=', '>', '<=', '<', '==', '!=']), value: z.number() }).nullable(),
  }),
  scenario: z.strictObject({ column: z.string(), values: z.array(z.string()) }),
  fields: z.array(fieldStateSchema),
  extraColumns: z.array(z.string()),
  /** How the training data was read: prediction-time files default to the same format and CSV dialect. */
  input: z.strictObject({
    format: z.string().nullable(),
    csv: z.strictObject({ delimiter: z.string(), quote: z.string(), escape: z.string().nullable(), header: z.boolean() }),
  }).optional(),
  checksum: z.string(),
});
export type EncoderState = z.infer<typeof encoderStateSchema>;
export type EncoderStateInput = Omit<EncoderState, 'checksum' | 'formatVersion'>;

/** The canonical string of a raw categorical cell: missing cells are the empty-string token. */
export function categoricalString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

// Leading/trailing blanks only (the same set DuckDB trims in encode.ts), so both paths agree on every token.
const BLANKS = /^[ \t\r\n]+|[ \t\r\n]+$/g;
export function splitTokens(value: unknown, separator: string): string[] {
  if (value === null || value === undefined) return [];
  const parts = Array.isArray(value) ? value.map(categoricalString) : categoricalString(value).split(separator);
  return parts.map((t) => t.replace(BLANKS, '')).filter((t) => t !== '');
}

/** A raw numeric cell as a double; NaN when missing or not a number. */
export function numericValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return Number.NaN;
}

function checksumOf(state: Omit<EncoderState, 'checksum'>): string {
  return createHash('sha256').update(JSON.stringify(state)).digest('hex');
}

export class FeatureEncoder {
  readonly state: EncoderState;
  readonly fields: FieldInfo[];
  private readonly vocabMaps: (Map<string, number> | null)[];
  private readonly scenarioMap: Map<string, number>;
  /** Per field, the field whose vocabulary its values use (itself, or a sequence's vocabulary field). */
  readonly vocabularyOf: number[];

  private constructor(state: EncoderState) {
    this.state = state;
    this.vocabularyOf = state.fields.map((f, i) => (f.source === 'sequence' ? state.fields.findIndex((g) => g.name === f.vocabulary) : i));
    this.fields = state.fields.map((f, i) => fieldInfoOf(f, state.scenario.values.length, state.fields[this.vocabularyOf[i]!]!));
    this.vocabMaps = state.fields.map((f) =>
      (f.source === 'categorical' || f.source === 'multi') && f.vocab !== null
        ? new Map(f.vocab.map((v, i) => [v, idOf(i)]))
        : null);
    this.scenarioMap = new Map(state.scenario.values.map((v, i) => [v, i]));
  }

  static fromState(input: EncoderStateInput): FeatureEncoder {
    const body = { formatVersion: ENCODER_FORMAT_VERSION, ...input };
    return new FeatureEncoder({ ...body, checksum: checksumOf(body) });
  }

  get scenarios(): { column: string; values: string[] } {
    return { column: this.state.scenario.column, values: [...this.state.scenario.values] };
  }

  get labelRule(): LabelRule {
    return this.state.label;
  }

  get checksum(): string {
    return this.state.checksum;
  }

  save(file: string): void {
    writeFileSync(file, `${JSON.stringify(this.state)}\n`);
  }

  static load(file: string): FeatureEncoder {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new OptmsmError('E_DATA_ENCODER', `cannot read feature encoder ${file}: ${(e as Error).message}`, { location: file });
    }
    const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
    if (version !== ENCODER_FORMAT_VERSION) {
      throw new OptmsmError('E_DATA_ENCODER', `feature encoder ${file} has format version ${String(version)}`, {
        location: file, expected: String(ENCODER_FORMAT_VERSION), found: String(version),
      });
    }
    const parsed = encoderStateSchema.safeParse(raw);
    if (!parsed.success) {
      throw new OptmsmError('E_DATA_ENCODER', `feature encoder ${file} is corrupt: ${parsed.error.issues[0]!.message}`, {
        location: `${file}: ${parsed.error.issues[0]!.path.join('.')}`,
      });
    }
    const { checksum, ...body } = parsed.data;
    if (checksumOf(body) !== checksum) {
      throw new OptmsmError('E_DATA_ENCODER', `feature encoder ${file} does not match its checksum (edited or truncated)`, {
        location: file,
      });
    }
    return new FeatureEncoder(parsed.data);
  }

  /** Id of one categorical (or multi or sequence token) value of field i: vocabulary, hash bucket or OOV. */
  categoricalId(field: number, value: string): number {
    const fieldIndex = this.vocabularyOf[field]!;
    const f = this.state.fields[fieldIndex]!;
    if (f.source === 'scenario') {
      const s = this.scenarioMap.get(value);
      return s === undefined ? OOV_ID : idOf(s);
    }
    if ((f.source === 'categorical' || f.source === 'multi') && f.hashBuckets !== null) return hashId(value, f.hashBuckets);
    return this.vocabMaps[fieldIndex]?.get(value) ?? OOV_ID;
  }

  /** Scenario index 0..S-1; an unknown value is a user error naming it. */
  scenarioIndex(value: string, location: string): number {
    const s = this.scenarioMap.get(value);
    if (s === undefined) {
      throw new OptmsmError('E_DATA_UNKNOWN_SCENARIO', `scenario value '${value}' was not seen in training`, {
        location, expected: `one of ${this.state.scenario.values.map((v) => `'${v}'`).join(', ')}`, found: value,
      });
    }
    return s;
  }

  /**
   * The encoded value of numeric field i (a float for normalised fields, an id for bucketed ones) from a raw
   * double; NaN/infinite/missing take the fill value or raise E_DATA_BAD_NUMERIC naming `location`.
   */
  numericCell(fieldIndex: number, x: number, location: string): number {
    return this.numericTransform(fieldIndex, location)(x);
  }

  /**
   * numericCell for one field as a function of the raw double (built once for a column's worth of cells); the
   * location of an error may be a function, asked only when a cell fails.
   */
  numericTransform(fieldIndex: number, location: string | (() => string)): (x: number) => number {
    const f = this.state.fields[fieldIndex]!;
    if (f.source !== 'numeric' && f.source !== 'bucket') throw new Error(`field ${f.name} is not numeric`);
    const fill = f.fill;
    const missing = (x: number): number => {
      if (fill === null) {
        throw new OptmsmError('E_DATA_BAD_NUMERIC', `numeric column '${f.column}' is empty or not a finite number, and has no fill rule`, {
          location: typeof location === 'string' ? location : location(), expected: 'a finite number, or `fill:` in the feature config', found: String(x),
        });
      }
      return fill;
    };
    // A days field is given days since 1970-01-01 and counts from its reference.
    const reference = f.days?.reference ?? 0;
    if (f.source === 'bucket') {
      const boundaries = f.boundaries;
      return (x) => bucketId(Number.isFinite(x) ? x - reference : missing(x), boundaries);
    }
    const { normalize, stats } = f;
    return (x) => Math.fround(normalizeValue(Number.isFinite(x) ? x - reference : missing(x), normalize, stats));
  }

  /** Encodes raw rows (objects keyed by column) exactly as training did. The label is optional. */
  encodeRows(rows: readonly Record<string, unknown>[]): EncodedColumns {
    const n = rows.length;
    const out = emptyColumns(this.fields, this.state.extraColumns, n);
    const labelColumn = this.state.label.column;
    const scenarioColumn = this.state.scenario.column;
    let r = 0;
    const where = (column: string): string => `row ${r}, column '${column}'`;
    // One writer per field for this call, so the loop below allocates nothing per cell.
    const writers = this.state.fields.map((f, i) => this.cellWriter(f, i, out, where));
    let hasLabel = n > 0;
    for (r = 0; r < n; r++) {
      const row = rows[r]!;
      out.scenario[r] = this.scenarioIndex(categoricalString(row[scenarioColumn]), where(scenarioColumn));
      for (const write of writers) write(row, r);
      if (labelColumn in row && row[labelColumn] !== undefined && row[labelColumn] !== null) {
        const y = applyLabelRule(this.state.label, numericValue(row[labelColumn]));
        if (y === null) {
          throw new OptmsmError('E_DATA_BAD_LABEL', `label column '${labelColumn}' has a value that is not usable`, {
            location: where(labelColumn), expected: this.state.label.rule ? 'a number' : '0 or 1', found: categoricalString(row[labelColumn]),
          });
        }
        out.label[r] = y;
      } else hasLabel = false;
      for (const c of this.state.extraColumns) (out.extra[c] as Float64Array)[r] = numericValue(row[c]);
    }
    out.hasLabel = hasLabel;
    return out;
  }

  /** Writes field i of one row into `out` (row r); `where` names a failing cell. */
  private cellWriter(f: FieldState, i: number, out: EncodedColumns, where: (column: string) => string): (row: Record<string, unknown>, r: number) => void {
    const column = f.column;
    switch (f.source) {
      case 'scenario': {
        const ids = out.ids[f.name]!;
        return (_row, r) => {
          ids[r] = idOf(out.scenario[r]!);
        };
      }
      case 'categorical': {
        const ids = out.ids[f.name]!;
        return (row, r) => {
          ids[r] = this.categoricalId(i, categoricalString(row[column]));
        };
      }
      case 'multi': {
        const ids = out.ids[f.name]!;
        const { separator, maxLen } = f;
        return (row, r) => {
          const tokens = splitTokens(row[column], separator);
          const m = Math.min(tokens.length, maxLen);
          for (let k = 0; k < m; k++) ids[r * maxLen + k] = this.categoricalId(i, tokens[k]!);
        };
      }
      case 'sequence': {
        const ids = out.ids[f.name]!;
        const { separator, maxLen } = f;
        // The most recent maxLen ids, oldest first, as the history derivation keeps them.
        return (row, r) => {
          splitTokens(row[column], separator).slice(-maxLen).forEach((t, k) => { ids[r * maxLen + k] = this.categoricalId(i, t); });
        };
      }
      case 'date-part': {
        const ids = out.ids[f.name]!;
        const { from, part } = f;
        return (row, r) => {
          const seconds = checkedDate(row[column], from, where(column));
          ids[r] = Number.isNaN(seconds) ? OOV_ID : idOf(datePart(seconds, part));
        };
      }
      case 'bucket':
      case 'numeric': {
        const target = f.source === 'bucket' ? out.ids[f.name]! : out.numeric[f.name]!;
        const transform = this.numericTransform(i, () => where(column));
        const days = f.days;
        const value = days ? (row: Record<string, unknown>) => epochDays(checkedDate(row[column], days.from, where(column))) : (row: Record<string, unknown>) => numericValue(row[column]);
        return (row, r) => {
          target[r] = transform(value(row));
        };
      }
    }
  }
}

/** Seconds of a date cell (NaN when missing); a cell that is not a date is E_DATA_BAD_DATE naming `location`. */
export function checkedDate(value: unknown, from: DateFrom, location: string): number {
  const seconds = dateSeconds(value, from);
  if (seconds === Number.POSITIVE_INFINITY) {
    throw new OptmsmError('E_DATA_BAD_DATE', `a date column holds '${categoricalString(value)}', which is not a date`, {
      location, expected: from === 'text' ? DATE_TEXT_FORMS : `a number of ${from === 'epoch_seconds' ? 'seconds' : 'milliseconds'} since 1970-01-01 UTC`,
      found: categoricalString(value),
    });
  }
  return seconds;
}

/** The field as the models see it; `vocabulary` is the field whose vocabulary it uses (itself but for sequences). */
export function fieldInfoOf(f: FieldState, scenarioCount: number, vocabulary: FieldState): FieldInfo {
  switch (f.source) {
    case 'sequence': {
      const base = fieldInfoOf(vocabulary, scenarioCount, vocabulary);
      return {
        name: f.name, kind: 'sequence', scope: f.scope, vocabSize: base.vocabSize, embeddingDim: base.embeddingDim, maxLen: f.maxLen,
        pooling: f.pooling, vocabulary: f.vocabulary,
      };
    }
    case 'date-part':
      return { name: f.name, kind: 'categorical', scope: f.scope, vocabSize: tableRows(PART_VALUES[f.part]), embeddingDim: f.embeddingDim, maxLen: 1, pooling: 'mean' };
    case 'numeric':
      return { name: f.name, kind: 'numeric', scope: f.scope, vocabSize: 0, embeddingDim: 0, maxLen: 1, pooling: 'mean' };
    case 'bucket':
      return { name: f.name, kind: 'categorical', scope: f.scope, vocabSize: tableRows(f.boundaries.length + 1), embeddingDim: f.embeddingDim, maxLen: 1, pooling: 'mean' };
    case 'scenario':
      return { name: f.name, kind: 'categorical', scope: 'specific', vocabSize: tableRows(scenarioCount), embeddingDim: f.embeddingDim, maxLen: 1, pooling: 'mean' };
    case 'categorical':
    case 'multi': {
      const vocabSize = tableRows(f.hashBuckets ?? f.vocab!.length);
      return f.source === 'multi'
        ? { name: f.name, kind: 'multi', scope: f.scope, vocabSize, embeddingDim: f.embeddingDim, maxLen: f.maxLen, pooling: f.pooling }
        : { name: f.name, kind: 'categorical', scope: f.scope, vocabSize, embeddingDim: f.embeddingDim, maxLen: 1, pooling: 'mean' };
    }
  }
}

export type { NumericStats };
