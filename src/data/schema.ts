// The dataset schema: one Zod schema at the edge (snake_case keys, as users write YAML), mapped once to the
// camelCase DatasetConfig that the rest of the data room trusts.
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { fromZodError, OptmsmError } from '../errors.js';
import { parseLabelRule, type LabelRule } from './label-rule.js';
import { worldSpecSchema } from './world-spec.js';

const scopeSchema = z.enum(['shared', 'specific']).default('shared').describe('shared, or scenario-specific');

const common = {
  name: z.string().min(1).describe('field name (also the column name unless `column` is given)'),
  column: z.string().min(1).optional().describe('source column, defaults to `name`'),
  scope: scopeSchema,
};

// Each feature maps to its camelCase spec here; `null` sizes and counts take the dataset-wide defaults below.
const categoricalSchema = z.strictObject({
  ...common,
  kind: z.literal('categorical'),
  embedding_dim: z.number().int().positive().optional(),
  min_count: z.number().int().positive().optional().describe('values seen fewer times in train map to OOV'),
  hash_buckets: z.number().int().positive().optional().describe('hash values into this many buckets instead of a vocabulary'),
}).transform((f) => ({
  kind: f.kind, name: f.name, column: f.column ?? f.name, scope: f.scope,
  embeddingDim: f.embedding_dim ?? null, minCount: f.min_count ?? null, hashBuckets: f.hash_buckets ?? null,
}));

const normalizeSchema = z.enum(['none', 'min-max', 'standard', 'log']);
const numericSchema = z.strictObject({
  ...common,
  kind: z.literal('numeric'),
  normalize: normalizeSchema.default('none'),
  buckets: z.number().int().min(2).optional().describe('quantile buckets fitted on train; the field becomes categorical'),
  fill: z.union([z.number(), z.literal('mean'), z.literal('median')]).optional().describe('value for empty/NaN cells'),
  embedding_dim: z.number().int().positive().optional().describe('only with buckets'),
}).transform((f) => ({
  kind: f.kind, name: f.name, column: f.column ?? f.name, scope: f.scope,
  normalize: f.normalize, buckets: f.buckets ?? null, fill: f.fill ?? null, embeddingDim: f.embedding_dim ?? null,
}));

const multiSchema = z.strictObject({
  ...common,
  kind: z.literal('multi'),
  separator: z.string().min(1).default('|'),
  max_len: z.number().int().positive().default(8),
  pooling: z.enum(['mean', 'sum']).default('mean'),
  embedding_dim: z.number().int().positive().optional(),
  min_count: z.number().int().positive().optional(),
  hash_buckets: z.number().int().positive().optional(),
}).transform((f) => ({
  kind: f.kind, name: f.name, column: f.column ?? f.name, scope: f.scope,
  separator: f.separator, maxLen: f.max_len, pooling: f.pooling,
  embeddingDim: f.embedding_dim ?? null, minCount: f.min_count ?? null, hashBuckets: f.hash_buckets ?? null,
}));

const dateSchema = z.strictObject({
  ...common,
  kind: z.literal('date'),
  from: z.enum(['text', 'epoch_seconds', 'epoch_milliseconds']).default('text')
    .describe('text: YYYY-MM-DD[ hh:mm[:ss[.fff]]] (UTC); or a number of seconds / milliseconds since 1970-01-01 UTC'),
  parts: z.array(z.enum(['hour', 'weekday', 'month', 'days'])).min(1).default(['hour', 'weekday', 'month', 'days'])
    .describe('derived fields <name>_<part>: hour, weekday, month (categorical) and days (since the reference, numeric or bucketed)'),
  reference: z.string().min(1).optional().describe('the date `days` counts from (YYYY-MM-DD); default: the earliest training date'),
  normalize: normalizeSchema.default('none').describe('of the days part'),
  buckets: z.number().int().min(2).optional().describe('quantile buckets of the days part, fitted on train'),
  fill: z.union([z.number(), z.literal('mean'), z.literal('median')]).optional().describe('days for an empty cell'),
  embedding_dim: z.number().int().positive().optional(),
}).transform((f) => ({
  kind: f.kind, name: f.name, column: f.column ?? f.name, scope: f.scope, from: f.from, parts: [...new Set(f.parts)],
  reference: f.reference ?? null, normalize: f.normalize, buckets: f.buckets ?? null, fill: f.fill ?? null, embeddingDim: f.embedding_dim ?? null,
}));

const sequenceSchema = z.strictObject({
  ...common,
  kind: z.literal('sequence'),
  vocabulary: z.string().min(1).describe('the categorical feature whose vocabulary and embedding table the ids share'),
  separator: z.string().min(1).default('|'),
  max_len: z.number().int().positive().default(20).describe('the most recent ids kept'),
  pooling: z.enum(['mean', 'sum', 'attention']).default('attention').describe('attention: target attention with the vocabulary feature as the target'),
}).transform((f) => ({
  kind: f.kind, name: f.name, column: f.column ?? f.name, scope: f.scope,
  vocabulary: f.vocabulary, separator: f.separator, maxLen: f.max_len, pooling: f.pooling,
}));

const featureSchema = z.discriminatedUnion('kind', [categoricalSchema, numericSchema, multiSchema, dateSchema, sequenceSchema]);

// A column derived from the rows as an event log: per `key`, the values of `values` in the rows strictly earlier
// by `time` (rows at the same time are not earlier), oldest first, the last `max_len` of them.
const historySchema = z.strictObject({
  name: z.string().min(1).describe('the derived column, read by a sequence feature'),
  key: z.string().min(1).describe('whose history (e.g. user_id)'),
  time: z.string().min(1).describe('the numeric time column that orders the events (e.g. a unix timestamp)'),
  values: z.string().min(1).describe('the column whose earlier values form the history (e.g. item_id)'),
  max_len: z.number().int().positive().default(20),
}).transform((h) => ({ name: h.name, key: h.key, time: h.time, values: h.values, maxLen: h.max_len }));

const pathsSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));
const filesSchema = z.union([
  pathsSchema,
  z.strictObject({ train: pathsSchema, validation: pathsSchema, test: pathsSchema }),
]);

const splitSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('column'),
    column: z.string().min(1),
    train: z.array(z.string()).min(1).default(['train']),
    validation: z.array(z.string()).min(1).default(['val', 'valid', 'validation']),
    test: z.array(z.string()).min(1).default(['test']),
  }),
  z.strictObject({
    kind: z.literal('ratio'),
    ratios: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    seed: z.number().int().nonnegative().default(0),
    key: z.string().min(1).optional()
      .describe('a column whose value alone decides the split (rows sharing a value share a split); default: the row position in the input'),
  }),
  z.strictObject({
    kind: z.literal('time'),
    column: z.string().min(1),
    cuts: z.tuple([z.union([z.number(), z.string()]), z.union([z.number(), z.string()])]),
  }),
  z.strictObject({ kind: z.literal('files') }),
]);

const csvSchema = z
  .strictObject({
    delimiter: z.string().min(1).default(','),
    quote: z.string().max(1).default('"'),
    escape: z.string().max(1).optional(),
    header: z.boolean().default(true),
  })
  .transform((c) => ({ delimiter: c.delimiter, quote: c.quote, escape: c.escape ?? null, header: c.header }));
export const DEFAULT_CSV: CsvOptions = { delimiter: ',', quote: '"', escape: null, header: true };

const syntheticSchema = z
  .strictObject({
    rows: z.number().int().positive(),
    scenarios: z.number().int().min(1).max(64).default(4),
    users: z.number().int().positive().default(5000),
    items: z.number().int().positive().default(2000),
    latent_dim: z.number().int().positive().default(8),
    seed: z.number().int().nonnegative().default(42),
    noise: z.number().nonnegative().default(1),
    zipf: z.number().positive().default(1.05),
  })
  .transform((s) => ({
    rows: s.rows, scenarios: s.scenarios, users: s.users, items: s.items, latentDim: s.latent_dim, seed: s.seed, noise: s.noise, zipf: s.zipf,
  }));

/** The synthetic generators' column of true click probabilities. */
export const DEFAULT_ORACLE_COLUMN = 'true_prob';

export const datasetConfigSchema = z
  .strictObject({
    name: z.string().min(1),
    files: filesSchema,
    format: z.string().min(1).optional().describe('a registered reader: csv, parquet, jsonl'),
    csv: csvSchema.prefault({}),
    label: z.string().min(1).describe('a 0/1 column, or a rule such as `rating >= 4`'),
    scenario: z.union([
      z.string().min(1),
      z.strictObject({
        column: z.string().min(1),
        max_scenarios: z.number().int().positive().default(1000),
        embedding_dim: z.number().int().positive().optional(),
      }),
    ]),
    split: splitSchema.optional(),
    on_bad_row: z.enum(['error', 'skip']).default('error'),
    embedding_dim: z.number().int().positive().default(16),
    min_count: z.number().int().positive().default(1),
    features: z.array(featureSchema).min(1),
    extra_columns: z.array(z.string().min(1)).default([]).describe('numeric columns carried along, never features'),
    oracle_column: z.string().min(1).optional()
      .describe('the true click probability, for the oracle AUC: carried, and an error if the data lacks it; default: true_prob when extra_columns has it'),
    histories: z.array(historySchema).default([]).describe('columns derived from the rows as an event log (behaviour sequences)'),
    synthetic: z
      .union([z.strictObject({ world: worldSpecSchema.describe('a parameterised world (docs/data.md, "Synthetic worlds")') }), syntheticSchema])
      .optional()
      .describe('how to regenerate the (single) data file with a built-in generator when it is missing'),
  })
  .transform((c) => ({
    name: c.name,
    /** Paths, globs or directories (absolute once parsed); per split when the split is given as files. */
    files: c.files,
    /** A registered reader's format, or null: from the files' extension. */
    format: c.format ?? null,
    csv: c.csv,
    /** The label text; parseDatasetConfig turns it into a LabelRule. */
    label: c.label,
    scenario: typeof c.scenario === 'string'
      ? { column: c.scenario, maxScenarios: 1000, embeddingDim: c.embedding_dim }
      : { column: c.scenario.column, maxScenarios: c.scenario.max_scenarios, embeddingDim: c.scenario.embedding_dim ?? c.embedding_dim },
    split: c.split ?? null,
    onBadRow: c.on_bad_row,
    features: c.features.map((f) => {
      if (f.kind === 'numeric' || f.kind === 'date') return { ...f, embeddingDim: f.embeddingDim ?? c.embedding_dim };
      if (f.kind === 'sequence') return f;
      return { ...f, embeddingDim: f.embeddingDim ?? c.embedding_dim, minCount: f.minCount ?? c.min_count };
    }),
    extraColumns: c.oracle_column === undefined || c.extra_columns.includes(c.oracle_column) ? c.extra_columns : [...c.extra_columns, c.oracle_column],
    /** The carried column whose values are the true click probability (the oracle), if any. */
    oracleColumn: c.oracle_column ?? (c.extra_columns.includes(DEFAULT_ORACLE_COLUMN) ? DEFAULT_ORACLE_COLUMN : null),
    histories: c.histories,
    /** Generator options when the file is the built-in synthetic dataset (regenerated when missing). */
    synthetic: c.synthetic && !('world' in c.synthetic) ? c.synthetic : null,
    /** The world spec when the file is a parameterised synthetic world (regenerated when missing). */
    world: c.synthetic && 'world' in c.synthetic ? c.synthetic.world : null,
  }));

export type DatasetConfigInput = z.input<typeof datasetConfigSchema>;
type ParsedConfig = z.output<typeof datasetConfigSchema>;
export type FeatureSpec = ParsedConfig['features'][number];
export type SplitSpec = z.output<typeof splitSchema>;
export type HistorySpec = z.output<typeof historySchema>;
export type CsvOptions = z.output<typeof csvSchema>;
export type SyntheticSpec = z.output<typeof syntheticSchema>;
export type Normalize = z.output<typeof normalizeSchema>;
/** A registered reader's format name (readers/index.ts). */
export type DataFormat = string;

/** The fields a feature gives: itself, or for a date feature one field per part, named <name>_<part>. */
export const fieldNamesOf = (f: FeatureSpec): string[] => (f.kind === 'date' ? f.parts.map((p) => `${f.name}_${p}`) : [f.name]);

export type SplitName = 'train' | 'validation' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

/** A validated dataset config: absolute paths, the label as a rule, a split always given. */
export type DatasetConfig = Omit<ParsedConfig, 'label' | 'split'> & {
  label: LabelRule;
  split: SplitSpec;
  /** Where the config came from (relative paths resolve against its directory). */
  source: string;
};

/** Validates a parsed config object; `source` names it in errors and `baseDir` anchors relative paths. */
export function parseDatasetConfig(raw: unknown, source: string, baseDir: string): DatasetConfig {
  const result = datasetConfigSchema.safeParse(raw);
  if (!result.success) throw fromZodError(result.error, { file: source, knownKeys: 'only the keys documented in docs/data.md', input: raw });
  const c = result.data;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const files = Array.isArray(c.files)
    ? c.files.map(abs)
    : { train: c.files.train.map(abs), validation: c.files.validation.map(abs), test: c.files.test.map(abs) };
  const perSplitFiles = !Array.isArray(files);
  if ((c.synthetic || c.world) && (perSplitFiles || files.length !== 1)) {
    throw new OptmsmError('E_CONFIG_INVALID', `${source}: synthetic: needs exactly one data file`, {
      location: `${source}: files`, expected: 'one .csv or .parquet path', found: JSON.stringify(raw !== null && typeof raw === 'object' ? (raw as { files?: unknown }).files : null),
    });
  }
  const split: SplitSpec | null = c.split ?? (perSplitFiles ? { kind: 'files' } : null);
  if (split === null) {
    throw new OptmsmError('E_CONFIG_INVALID', `${source}: the dataset needs a split`, {
      location: `${source}: split`,
      expected: 'split: {kind: column | ratio | time}, or files given per split {train, validation, test}',
    });
  }
  if ((split.kind === 'files') !== perSplitFiles) {
    throw new OptmsmError('E_CONFIG_INVALID', `${source}: split kind 'files' goes with files given per split`, {
      location: `${source}: split.kind`,
      expected: perSplitFiles ? "kind: files (or omit split)" : 'files: {train, validation, test}',
      found: split.kind,
    });
  }
  if (split.kind === 'ratio') {
    const sum = split.ratios[0] + split.ratios[1] + split.ratios[2];
    if (Math.abs(sum - 1) > 1e-6) {
      throw new OptmsmError('E_CONFIG_INVALID', `${source}: split ratios must sum to 1`, {
        location: `${source}: split.ratios`, expected: 'three ratios summing to 1', found: String(sum),
      });
    }
  }
  const names = new Set<string>();
  for (const [i, f] of c.features.entries()) {
    for (const name of fieldNamesOf(f)) {
      if (names.has(name) || name === c.scenario.column) {
        throw new OptmsmError('E_CONFIG_INVALID', `${source}: feature name '${name}' is used twice`, {
          location: `${source}: features.${i}.name`,
          expected: 'unique field names (a date feature gives <name>_<part>), none equal to the scenario column (it is always a field of its own)',
        });
      }
      names.add(name);
    }
  }
  checkSequences(c, source);
  const label = parseLabelRule(c.label, `${source}: label`);
  for (const [i, f] of c.features.entries()) {
    if (f.column === label.column) {
      throw new OptmsmError('E_CONFIG_INVALID', `${source}: feature '${f.name}' reads the label column '${label.column}'`, {
        location: `${source}: features.${i}.column`, expected: 'a column other than the label (it would leak it)',
      });
    }
    if (f.column === c.scenario.column) {
      throw new OptmsmError('E_CONFIG_INVALID', `${source}: feature '${f.name}' reads the scenario column`, {
        location: `${source}: features.${i}.column`, expected: 'the scenario column only under `scenario:`',
      });
    }
  }
  return { ...c, files, label, split, source };
}

/** A sequence shares a categorical feature's vocabulary; a history derives a column no file already has. */
function checkSequences(c: ParsedConfig, source: string): void {
  c.features.forEach((f, i) => {
    if (f.kind !== 'sequence') return;
    const base = c.features.find((g) => g.name === f.vocabulary);
    if (base?.kind !== 'categorical') {
      throw new OptmsmError('E_CONFIG_INVALID', `${source}: sequence feature '${f.name}' shares the vocabulary of '${f.vocabulary}', which is not a categorical feature`, {
        location: `${source}: features.${i}.vocabulary`,
        expected: `one of ${c.features.filter((g) => g.kind === 'categorical').map((g) => g.name).join(', ')}`, found: f.vocabulary,
      });
    }
    const history = c.histories.find((h) => h.name === f.column);
    if (history && history.values !== base.column) {
      throw new OptmsmError('E_CONFIG_INVALID', `${source}: sequence feature '${f.name}' reads history '${history.name}' of column '${history.values}', not of its vocabulary's column '${base.column}'`, {
        location: `${source}: features.${i}.vocabulary`, expected: `the feature that reads '${history.values}'`,
      });
    }
  });
  const names = new Set<string>();
  c.histories.forEach((h, i) => {
    if (names.has(h.name) || c.features.some((f) => f.kind !== 'sequence' && f.column === h.name)) {
      throw new OptmsmError('E_CONFIG_INVALID', `${source}: history '${h.name}' is derived twice or named like a feature's column`, {
        location: `${source}: histories.${i}.name`, expected: 'a new column name, read by one sequence feature',
      });
    }
    names.add(h.name);
  });
}

/** Reads and parses a YAML or JSON config file (any of optmsm's configs), or says clearly why it cannot. */
export function readConfigFile(file: string): unknown {
  const json = extname(file) === '.json';
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (e) {
    throw new OptmsmError('E_CONFIG_NOT_FOUND', `cannot read config ${file}: ${(e as Error).message}`, { location: file });
  }
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new OptmsmError('E_CONFIG_INVALID', `${file} is not valid ${json ? 'JSON' : 'YAML'}: ${(e as Error).message}`, {
      location: file,
    });
  }
}

/** Reads a YAML or JSON dataset config; relative data paths resolve against the config file's directory. */
export function loadDatasetConfig(file: string): DatasetConfig {
  return parseDatasetConfig(readConfigFile(file), file, dirname(resolve(file)));
}

