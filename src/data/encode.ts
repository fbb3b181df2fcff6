// Fitting and encoding through DuckDB. The per-cell string work stays in SQL: a first pass collects every
// categorical field's distinct values, a second turns each cell into the integer code of its value (an ENUM cast,
// or a hash join for Parquet) in a table kept in input order. JavaScript then works on integers only: one ordered
// scan counts training codes (vocabularies) and numeric moments; each field's *distinct* values are mapped to ids
// once, through FeatureEncoder (the same functions encodeRows uses at prediction time), giving a lookup table
// that the encode pass applies to every chunk of codes.
import { OptmsmError } from '../errors.js';
import { codeColumn, DuckSession, duckMessage, float64Column, literal, uint8Column } from './duck.js';
import { dedupeBoundaries, RunningStats, type NumericStats } from './encoders/numeric.js';
import { fitVocab, sortScenarioValues } from './encoders/vocab.js';
import { FeatureEncoder, type FieldState } from './feature-encoder.js';
import { labelRuleSql, type LabelRule } from './label-rule.js';
import type { ColumnRequest, Source } from './read.js';
import { SPLITS, type DatasetConfig, type SplitSpec } from './schema.js';

/** The columns to read for a list of (possibly unfitted) fields: field i reads into alias c<i>. */
export function columnRequests(
  fields: readonly Pick<FieldState, 'source' | 'name' | 'column'>[],
  separators: readonly (string | null)[],
  scenarioColumn: string,
  label: LabelRule,
  extraColumns: readonly string[],
  labelOptional: boolean,
  splitColumn: string | null,
): ColumnRequest[] {
  const out: ColumnRequest[] = [
    { alias: 's_scn', column: scenarioColumn, type: 'text', purpose: 'the scenario' },
    { alias: 's_label', column: label.column, type: 'text', purpose: 'the label', optional: labelOptional },
  ];
  if (splitColumn !== null) out.push({ alias: 's_split', column: splitColumn, type: 'text', purpose: 'the split' });
  fields.forEach((f, i) => {
    if (f.source === 'scenario') return;
    const type = f.source === 'multi' ? 'tokens' : f.source === 'categorical' ? 'text' : 'number';
    out.push({ alias: `c${i}`, column: f.column, type, separator: separators[i] ?? undefined, purpose: `feature '${f.name}'` });
  });
  // At prediction time (label optional) the carried columns are optional too: absent ones read as NaN.
  extraColumns.forEach((c, j) => out.push({ alias: `x${j}`, column: c, type: 'number', purpose: 'extra_columns', optional: labelOptional }));
  return out;
}

// murmur3's 32-bit finaliser, written with UBIGINT arithmetic (products of two values < 2^32 fit in 64 bits), so
// a seeded ratio split depends only on the row's position in the input, not on DuckDB's own hash function.
const FMIX_MACROS = [
  `CREATE OR REPLACE MACRO optmsm_xs(x, k) AS xor(x, x >> k)`,
  `CREATE OR REPLACE MACRO optmsm_mul(x, c) AS (x * c) % 4294967296`,
  `CREATE OR REPLACE MACRO optmsm_fmix(x) AS optmsm_xs(optmsm_mul(optmsm_xs(optmsm_mul(optmsm_xs(x, 16), 2246822507::UBIGINT), 13), 3266489909::UBIGINT), 16)`,
];

/** The JavaScript twin of the ratio split (row i of the input, 0-based): 0 train, 1 validation, 2 test. */
export function ratioSplitOf(row: number, seed: number, ratios: readonly [number, number, number]): 0 | 1 | 2 {
  let x = (row + seedOffset(seed)) % 4294967296;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  const u = x / 4294967296;
  return u < ratios[0] ? 0 : u < ratios[0] + ratios[1] ? 1 : 2;
}
const seedOffset = (seed: number): number => Number((BigInt(seed) * 2654435769n) % 4294967296n);

function splitSql(split: SplitSpec | null): string {
  if (split === null) return '0';
  switch (split.kind) {
    case 'files':
      return '__g';
    case 'column':
      return `CASE WHEN s_split IN (${split.train.map(literal).join(', ')}) THEN 0 WHEN s_split IN (${split.validation.map(literal).join(', ')}) THEN 1 WHEN s_split IN (${split.test.map(literal).join(', ')}) THEN 2 ELSE 3 END`;
    case 'ratio': {
      const [a, b] = split.ratios;
      const u = `optmsm_fmix((rowid::UBIGINT + ${seedOffset(split.seed)}::UBIGINT) % 4294967296) / 4294967296.0`;
      return `CASE WHEN ${u} < ${a} THEN 0 WHEN ${u} < ${a + b} THEN 1 ELSE 2 END`;
    }
    case 'time': {
      const [c1, c2] = split.cuts;
      const t = typeof c1 === 'string' || typeof c2 === 'string' ? 'TRY_CAST(s_split AS TIMESTAMP)' : 'TRY_CAST(s_split AS DOUBLE)';
      const lit = (c: number | string): string => (typeof c === 'string' ? `TIMESTAMP ${literal(c)}` : String(c));
      return `CASE WHEN ${t} IS NULL THEN 3 WHEN ${t} < ${lit(c1)} THEN 0 WHEN ${t} < ${lit(c2)} THEN 1 ELSE 2 END`;
    }
  }
}

export interface Checks {
  split: SplitSpec | null;
  label: LabelRule;
  /** Numeric fields (index, column) that have no fill rule. */
  strictNumerics: { field: number; column: string }[];
  maxScenarios: number | null;
  scenarioColumn: string;
}

/** One ENUM per categorical source: the distinct values (all rows) with their codes. */
export interface EnumInfo {
  type: string | null;
  values: string[];
  /** A (v, code) table of the same values, for joins (Parquet input). */
  dict: string | null;
}

type SourceField = Pick<FieldState, 'source' | 'column'> & { maxLen?: number };

/**
 * The first pass: one aggregate scan of the input (every column as text) collecting each categorical, multi and
 * scenario field's distinct values and the rows per file, and recording rows that do not parse. Each distinct
 * list becomes a DuckDB ENUM (index = encoder field index; null for numeric fields).
 */
export async function createEnums(session: DuckSession, source: Source, fields: readonly SourceField[]): Promise<(EnumInfo | null)[]> {
  // Rows per file: a few count_if are cheaper than a histogram (a per-row map insert) for the usual few files.
  const nFiles = source.allFiles.length;
  const aggs: string[] = nFiles <= 32
    ? source.allFiles.map((_, k) => `count_if(__f = ${k})::DOUBLE AS __file${k}`)
    : ['histogram(__f) AS __files'];
  fields.forEach((f, i) => {
    if (f.source === 'scenario') aggs.push(`list(DISTINCT coalesce(s_scn, '')) AS l${i}`);
    else if (f.source === 'categorical') aggs.push(`list(DISTINCT coalesce(c${i}, '')) AS l${i}`);
    else if (f.source === 'multi') aggs.push(`list_distinct(flatten(list(DISTINCT c${i}))) AS l${i}`);
    // Numerics are parsed (and their bad cells rejected) in this pass too.
    else aggs.push(`count(c${i}) AS n${i}`);
  });
  const lists = `${source.id}_distinct`;
  const rejects = `${source.id}_rej`;
  try {
    await session.run(`CREATE TABLE ${lists} AS SELECT ${aggs.join(', ')} FROM (${source.relation({ kind: 'first', rejects })})`);
  } catch (e) {
    const files = source.allFiles;
    throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${files.length === 1 ? files[0] : `${files.length} files`}: ${duckMessage(e)}`, {
      location: files[0],
      hint: source.onBadRow === 'error' && source.format === 'jsonl' ? 'on_bad_row: skip ignores lines that do not parse (they are counted)' : undefined,
    });
  }
  const [listed] = await session.rows(`SELECT * FROM ${lists}`);
  const rowsPerFile = new Map<number, number>();
  if (nFiles <= 32) for (let k = 0; k < nFiles; k++) rowsPerFile.set(k, Number(listed![`__file${k}`]));
  else for (const e of (listed!.__files as { key: unknown; value: unknown }[] | null) ?? []) rowsPerFile.set(Number(e.key), Number(e.value));
  await source.finishFirstPass(session, rejects, rowsPerFile);
  // An ENUM made from a list numbers its values in list order, so code c is the list's element c.
  const out: (EnumInfo | null)[] = [];
  for (const [i, f] of fields.entries()) {
    if (f.source === 'numeric' || f.source === 'bucket') {
      out.push(null);
      continue;
    }
    const values = ((listed![`l${i}`] as unknown[] | null) ?? []).map(String);
    if (values.length === 0) {
      out.push({ type: null, values: [], dict: null });
      continue;
    }
    const name = `${source.id}_e${i}`;
    if (source.format === 'parquet') {
      await session.run(`CREATE TABLE ${name}_d AS SELECT unnest(l${i}) AS v, (generate_subscripts(l${i}, 1) - 1)::INTEGER AS code FROM ${lists}`);
      out.push({ type: null, values, dict: `${name}_d` });
    } else {
      await session.run(`CREATE TYPE ${name} AS ENUM (SELECT unnest(l${i}) FROM ${lists})`);
      out.push({ type: name, values, dict: null });
    }
  }
  await session.run(`DROP TABLE ${lists}`);
  return out;
}

/**
 * The second pass: the code table, one row per input row in input order (rowid = position), holding every
 * categorical cell as its code (k<i>, or k<i>_<pos> for multi fields, n = no token), numerics as DOUBLE
 * (NaN when missing), the split and the 0/1 label (NULL when unusable). Everything after this works on integers.
 * Returns a view over it that adds __rid and, for ratio splits, the split.
 */
export async function createCodeTable(
  session: DuckSession, source: Source, split: SplitSpec | null, label: LabelRule, fields: readonly SourceField[], enums: readonly (EnumInfo | null)[],
  extraCount: number,
): Promise<string> {
  for (const m of FMIX_MACROS) await session.run(m);
  const enumTypes = new Map<string, string>();
  fields.forEach((f, i) => {
    const t = enums[i]?.type;
    if (!t) return;
    if (f.source === 'scenario') enumTypes.set('s_scn', t);
    else if (f.source === 'categorical') enumTypes.set(`c${i}`, t);
  });
  // Codes 0..n-1 name the ENUM's values and n means "no value" (a pad position); each column takes the
  // narrowest unsigned type that holds n.
  const size = (i: number): number => enums[i]!.values.length;
  const codeType = (i: number): string => (size(i) < 255 ? 'UTINYINT' : size(i) < 65535 ? 'USMALLINT' : 'INTEGER');
  const emptyCode = (i: number): number => (enums[i]!.values.includes('') ? enums[i]!.values.indexOf('') : size(i));
  // Parquet: strings map to codes through hash joins on the (value, code) tables, then rows are put back in input
  // order (file offset + row number), which costs less than an ENUM cast per cell. CSV/JSONL: ENUM casts (the CSV
  // reader parses straight into them), which keep the scan order by themselves.
  const joins: string[] = [];
  /** The code of a cell: `alias` names the relation's column; `token` is the 1-based position in a multi cell. */
  const lookup = (i: number, alias: string, token: number | null): string => {
    const e = enums[i]!;
    const none = token === null ? emptyCode(i) : size(i);
    if (e.dict !== null) {
      const d = `j${joins.length}`;
      joins.push(`LEFT JOIN ${e.dict} ${d} ON ${token === null ? `coalesce(p.${alias}, '')` : `p.${alias}[${token}]`} = ${d}.v`);
      return `coalesce(${d}.code, ${none})::${codeType(i)}`;
    }
    if (e.type === null) return `${none}::UTINYINT`;
    // Categorical aliases already hold the ENUM (parsed by the CSV reader, or cast by the relation).
    return `coalesce(enum_code(${token === null ? `p.${alias}` : `CAST(p.${alias}[${token}] AS ${e.type})`}), ${none})::${codeType(i)}`;
  };
  const labelSql = source.has('s_label') ? labelRuleSql(label, 'TRY_CAST(s_label AS DOUBLE)') : '0';
  const ratio = split?.kind === 'ratio';
  const cols = [`(${labelSql})::UTINYINT AS __label`];
  if (!ratio) cols.push(`(${splitSql(split)})::UTINYINT AS __split`);
  fields.forEach((f, i) => {
    if (f.source === 'scenario') cols.push(`${lookup(i, 's_scn', null)} AS k${i}`);
    else if (f.source === 'categorical') cols.push(`${lookup(i, `c${i}`, null)} AS k${i}`);
    else if (f.source === 'multi') for (let k = 1; k <= f.maxLen!; k++) cols.push(`${lookup(i, `c${i}`, k)} AS k${i}_${k}`);
    else cols.push(`coalesce(p.c${i}, 'NaN'::DOUBLE) AS k${i}`);
  });
  for (let j = 0; j < extraCount; j++) cols.push(`${source.has(`x${j}`) ? `coalesce(p.x${j}, 'NaN'::DOUBLE)` : `'NaN'::DOUBLE`} AS x${j}`);
  const table = `${source.id}_codes`;
  const byJoin = joins.length > 0;
  const input = source.relation({ kind: 'second', enumTypes: byJoin ? new Map() : enumTypes, position: byJoin });
  try {
    await session.run(`CREATE TABLE ${table} AS SELECT ${cols.join(', ')} FROM (${input}) p ${joins.join(' ')}${byJoin ? ' ORDER BY p.__pos' : ''}`);
  } catch (e) {
    throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${source.allFiles[0]}: ${duckMessage(e)}`, { location: source.allFiles[0] });
  }
  const view = `${table}_v`;
  // The ratio split hashes the row's position, its rowid (tables keep input order): a cheap integer expression.
  await session.run(`CREATE VIEW ${view} AS SELECT rowid::INTEGER AS __rid, *${ratio ? `, (${splitSql(split)})::UTINYINT AS __split` : ''} FROM ${table}`);
  return view;
}

/** Validates the whole input in one aggregate pass; returns rows per split. Errors name file:line and column. */
export async function validateData(session: DuckSession, source: Source, codes: string, checks: Checks): Promise<number[]> {
  const hasLabel = source.has('s_label');
  const aggs = [
    'count(*)::DOUBLE AS n',
    'count_if(__split = 0)::DOUBLE AS n0', 'count_if(__split = 1)::DOUBLE AS n1', 'count_if(__split = 2)::DOUBLE AS n2',
    'count_if(__split = 3)::DOUBLE AS nbad',
    `${hasLabel ? 'count_if(__label IS NULL)' : '0'}::DOUBLE AS nlabel`,
    'count(DISTINCT k0)::DOUBLE AS nscn',
    ...checks.strictNumerics.map((c, i) => `count_if(NOT isfinite(k${c.field}))::DOUBLE AS num${i}`),
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
    const [r] = await session.rows(`SELECT __rid::DOUBLE AS rid FROM ${codes} WHERE ${where} ORDER BY __rid LIMIT 1`);
    const rid = Number(r!.rid);
    return { at: source.locate(rid), value: await source.rawValue(session, rid, column) };
  };
  if (a('nbad') > 0) {
    const s = checks.split!;
    const f = await first('__split = 3', 'column' in s ? s.column : '');
    throw new OptmsmError('E_DATA_BAD_SPLIT', `${rowsHave(a('nbad'))} a split value that is not train, validation or test (column '${'column' in s ? s.column : ''}')`, {
      location: f.at,
      expected: s.kind === 'column' ? `one of ${[...s.train, ...s.validation, ...s.test].join(', ')}` : 'a number or timestamp',
      found: f.value,
    });
  }
  if (a('nlabel') > 0) {
    const f = await first('__label IS NULL', checks.label.column);
    throw new OptmsmError('E_DATA_BAD_LABEL', `${rowsHave(a('nlabel'))} a label in column '${checks.label.column}' that is not ${checks.label.rule ? 'a number' : '0 or 1'}`, {
      location: f.at, expected: checks.label.rule ? `a number for the rule ${checks.label.text}` : '0 or 1', found: f.value,
    });
  }
  for (const [i, c] of checks.strictNumerics.entries()) {
    if (a(`num${i}`) === 0) continue;
    const f = await first(`NOT isfinite(k${c.field})`, c.column);
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
  const counts = [a('n0'), a('n1'), a('n2')];
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

/** Fits the encoder on the training split (split 0) of the code table. */
export async function fitEncoder(
  session: DuckSession, codes: string, source: Source, config: DatasetConfig, planned: FieldState[], enums: readonly (EnumInfo | null)[],
): Promise<FeatureEncoder> {
  // One ordered streaming pass over the training rows counts every code column (vocabularies, scenarios) and
  // accumulates numeric means/stds (Welford, in row order, so they never depend on DuckDB's thread count).
  const keyCols: { field: number; col: string }[] = [{ field: 0, col: 'k0' }];
  planned.forEach((f, i) => {
    if ((f.source !== 'categorical' && f.source !== 'multi') || f.hashBuckets !== null || enums[i]!.values.length === 0) return;
    if (f.source === 'multi') for (let k = 1; k <= f.maxLen; k++) keyCols.push({ field: i, col: `k${i}_${k}` });
    else keyCols.push({ field: i, col: `k${i}` });
  });
  const counts = new Map<number, Float64Array>();
  planned.forEach((f, i) => {
    if (f.source !== 'numeric' && f.source !== 'bucket') counts.set(i, new Float64Array(enums[i]!.values.length));
  });
  const numericFields = planned.flatMap((f, i) => (f.source === 'numeric' || f.source === 'bucket' ? [i] : []));
  const acc = numericFields.map(() => new RunningStats());
  const scan = [...keyCols.map((k) => k.col), ...numericFields.map((i) => `k${i}`)];
  for await (const chunk of session.chunks(`SELECT __split, ${scan.join(', ')} FROM ${codes}`)) {
    const n = chunk.rowCount;
    const split = uint8Column(chunk, 0);
    keyCols.forEach((k, j) => {
      const cs = asInt32(codeColumn(chunk, j + 1));
      const c = counts.get(k.field)!;
      const none = c.length;
      for (let r = 0; r < n; r++) if (split[r] === 0 && cs[r]! < none) c[cs[r]!]!++;
    });
    numericFields.forEach((_, j) => {
      const xs = float64Column(chunk, keyCols.length + j + 1);
      const s = acc[j]!;
      for (let r = 0; r < n; r++) if (split[r] === 0 && Number.isFinite(xs[r]!)) s.push(xs[r]!);
    });
  }
  // Scenarios: those present in train, in natural order; a value only in validation/test cannot be modelled.
  const scenarioEnum = enums[0]!;
  const values = sortScenarioValues(scenarioEnum.values.filter((_, c) => counts.get(0)![c]! > 0));
  const known = new Set(values);
  const unknown = scenarioEnum.values.findIndex((v) => !known.has(v));
  if (unknown >= 0) {
    const [r] = await session.rows(`SELECT min(__rid)::DOUBLE AS rid FROM ${codes} WHERE k0 = ${unknown}`);
    throw new OptmsmError('E_DATA_UNKNOWN_SCENARIO', `scenario value '${scenarioEnum.values[unknown]}' of column '${config.scenario.column}' appears outside the training split only`, {
      location: source.locate(Number(r!.rid)), expected: `one of ${values.join(', ')}`, found: scenarioEnum.values[unknown],
      hint: 'every scenario needs training rows',
    });
  }

  // Count, min, max, mean and std come from the scan above; medians and quantiles (order statistics) from DuckDB,
  // only for the fields that use them (fill: median, buckets).
  numericFields.forEach((i, j) => {
    const f = planned[i] as Extract<FieldState, { source: 'numeric' | 'bucket' }>;
    const a = acc[j]!;
    f.stats = { count: a.count, min: a.count > 0 ? a.min : 0, max: a.count > 0 ? a.max : 0, mean: 0, std: 0, median: 0 };
  });
  const ordered = numericFields.filter((i) => planned[i]!.source === 'bucket' || (config.features[i - 1] as { fill?: unknown }).fill === 'median');
  if (ordered.length > 0) {
    const aggs = ordered.flatMap((i) => {
      const f = planned[i] as Extract<FieldState, { source: 'numeric' | 'bucket' }>;
      const ok = `FILTER (WHERE isfinite(k${i}))`;
      const q = f.source === 'bucket'
        ? [`quantile_disc(k${i}, [${Array.from({ length: f.boundaries.length }, (_, k) => (k + 1) / (f.boundaries.length + 1)).join(', ')}]) ${ok} AS q${i}`]
        : [];
      return [`median(k${i}) ${ok} AS med${i}`, ...q];
    });
    const [r] = await session.rows(`SELECT ${aggs.join(', ')} FROM ${codes} WHERE __split = 0`);
    for (const i of ordered) {
      const f = planned[i] as Extract<FieldState, { source: 'numeric' | 'bucket' }>;
      f.stats = { ...f.stats, median: Number(r![`med${i}`] ?? 0) };
      if (f.source === 'bucket') f.boundaries = dedupeBoundaries(((r![`q${i}`] as number[] | null) ?? []).map(Number));
    }
  }
  planned.forEach((f, i) => {
    if ((f.source === 'categorical' || f.source === 'multi') && f.hashBuckets === null) f.vocab = fitVocab(enums[i]!.values, counts.get(i)!, f.minCount);
  });
  numericFields.forEach((i, j) => {
    const f = planned[i] as Extract<FieldState, { source: 'numeric' | 'bucket' }>;
    const { mean, std } = acc[j]!.result();
    f.stats = { ...f.stats, mean, std };
    const spec = config.features[i - 1]!;
    if (spec.kind === 'numeric') f.fill = spec.fill === 'mean' ? mean : spec.fill === 'median' ? f.stats.median : spec.fill;
  });

  return FeatureEncoder.fromState({
    dataset: config.name,
    label: { column: config.label.column, text: config.label.text, rule: config.label.rule },
    scenario: { column: config.scenario.column, values },
    fields: planned,
    extraColumns: config.extraColumns,
    input: { format: config.format, csv: config.csv },
  });
}

const EMPTY_STATS: NumericStats = { count: 0, min: 0, max: 0, mean: 0, std: 0, median: 0 };

/** Field states before fitting (vocabularies, stats and boundaries are filled in by fitEncoder). */
export function planFields(config: DatasetConfig): FieldState[] {
  const scenario: FieldState = { source: 'scenario', name: config.scenario.column, column: config.scenario.column, scope: 'specific', embeddingDim: config.scenario.embeddingDim };
  return [scenario, ...config.features.map((f): FieldState => {
    if (f.kind === 'categorical') {
      return { source: 'categorical', name: f.name, column: f.column, scope: f.scope, embeddingDim: f.embeddingDim, vocab: f.hashBuckets !== null ? null : [], hashBuckets: f.hashBuckets, minCount: f.minCount };
    }
    if (f.kind === 'multi') {
      return {
        source: 'multi', name: f.name, column: f.column, scope: f.scope, embeddingDim: f.embeddingDim, vocab: f.hashBuckets !== null ? null : [],
        hashBuckets: f.hashBuckets, minCount: f.minCount, separator: f.separator, maxLen: f.maxLen, pooling: f.pooling,
      };
    }
    const fill = typeof f.fill === 'number' ? f.fill : null;
    if (f.buckets !== null) {
      // boundaries starts as B-1 zeros; fitEncoder sets them to the training quantiles.
      return { source: 'bucket', name: f.name, column: f.column, scope: f.scope, embeddingDim: f.embeddingDim, boundaries: new Array<number>(f.buckets - 1).fill(0), stats: EMPTY_STATS, fill };
    }
    return { source: 'numeric', name: f.name, column: f.column, scope: f.scope, normalize: f.normalize, stats: EMPTY_STATS, fill };
  })];
}

export type ColumnKey = `ids:${string}` | `num:${string}` | 'label' | 'scenario' | `extra:${string}`;
export type ColumnData = Int32Array | Float32Array | Uint8Array | Float64Array;
export interface ColumnSink {
  write(key: ColumnKey, elementOffset: number, data: ColumnData): void;
}

/** Lookup tables from ENUM code to id for every field (null for numeric fields). */
function lookupTables(encoder: FeatureEncoder, enums: readonly (EnumInfo | null)[]): (Int32Array | null)[] {
  return encoder.state.fields.map((_, i) => {
    const e = enums[i];
    if (!e) return null;
    const lut = new Int32Array(e.values.length);
    for (let c = 0; c < e.values.length; c++) lut[c] = encoder.categoricalId(i, e.values[c]!);
    return lut;
  });
}

/**
 * Streams every row of the code table once, in input order, through the encoder: ids via per-field lookup tables,
 * numerics via the encoder's transform; rows go to `sinkFor(split)` (split 0 only when there is no split).
 * Returns rows written per split.
 */
export async function encodeCodes(
  session: DuckSession, codes: string, source: Source, encoder: FeatureEncoder, enums: readonly (EnumInfo | null)[], sinkFor: (split: number) => ColumnSink,
): Promise<number[]> {
  const fields = encoder.state.fields;
  const luts = lookupTables(encoder, enums);
  const scenarioEnum = enums[0]!;
  const scnIndex = new Int32Array(scenarioEnum.values.length);
  for (let c = 0; c < scnIndex.length; c++) {
    const v = scenarioEnum.values[c]!;
    const s = encoder.scenarios.values.indexOf(v);
    if (s < 0) {
      const [r] = await session.rows(`SELECT min(__rid)::DOUBLE AS rid FROM ${codes} WHERE k0 = ${c}`);
      encoder.scenarioIndex(v, source.locate(Number(r!.rid)));
    }
    scnIndex[c] = s;
  }
  const cols: string[] = ['__split', 'coalesce(__label, 0)::UTINYINT', 'k0'];
  const plan: { field: number; first: number; width: number }[] = [];
  fields.forEach((f, i) => {
    if (f.source === 'scenario') return;
    const first = cols.length;
    if (f.source === 'multi') for (let k = 1; k <= f.maxLen; k++) cols.push(`k${i}_${k}`);
    else cols.push(`k${i}`);
    plan.push({ field: i, first, width: f.source === 'multi' ? f.maxLen : 1 });
  });
  const extraFirst = cols.length;
  encoder.state.extraColumns.forEach((_, j) => cols.push(`x${j}`));
  const scenarioName = fields[0]!.name;
  const transforms = fields.map((f, i) => (f.source === 'numeric' || f.source === 'bucket' ? encoder.numericTransform(i, 'encode') : null));
  const offsets = [0, 0, 0, 0];
  for await (const chunk of session.chunks(`SELECT ${cols.join(', ')} FROM ${codes}`)) {
    const n = chunk.rowCount;
    const split = uint8Column(chunk, 0);
    // The chunk's rows grouped by split (stable): each column is gathered once in that order and each split's
    // slice written to its sink. `order` is null when the whole chunk belongs to one split (or when predicting).
    const counts = [0, 0, 0, 0];
    for (let r = 0; r < n; r++) counts[split[r]!]!++;
    let order: Int32Array | null = null;
    if (counts[0] !== n && counts[1] !== n && counts[2] !== n) {
      order = new Int32Array(n);
      const at = [0, counts[0]!, counts[0]! + counts[1]!, n - counts[3]!];
      for (let r = 0; r < n; r++) order[at[split[r]!]!++] = r;
    }
    const emit = (key: ColumnKey, out: ColumnData, width: number): void => {
      let start = 0;
      for (let s = 0; s < 3; s++) {
        const m = counts[s]!;
        if (m > 0) sinkFor(s).write(key, offsets[s]! * width, out.subarray(start * width, (start + m) * width));
        start += m;
      }
    };
    const labels = uint8Column(chunk, 1);
    const label = new Uint8Array(n);
    const scenario = new Int32Array(n);
    const scenarioIds = new Int32Array(n);
    const sc = asInt32(codeColumn(chunk, 2));
    for (let k = 0; k < n; k++) {
      const r = order ? order[k]! : k;
      label[k] = labels[r]!;
      scenario[k] = scnIndex[sc[r]!]!;
      scenarioIds[k] = scenario[k]! + 2;
    }
    emit('label', label, 1);
    emit('scenario', scenario, 1);
    emit(`ids:${scenarioName}`, scenarioIds, 1);
    for (const p of plan) {
      const f = fields[p.field]!;
      if (f.source === 'numeric' || f.source === 'bucket') {
        const xs = float64Column(chunk, p.first);
        const out = f.source === 'bucket' ? new Int32Array(n) : new Float32Array(n);
        const cell = transforms[p.field]!;
        for (let k = 0; k < n; k++) out[k] = cell(xs[order ? order[k]! : k]!);
        emit(f.source === 'bucket' ? `ids:${f.name}` : `num:${f.name}`, out, 1);
        continue;
      }
      const lut = luts[p.field]!;
      const none = lut.length;
      const w = p.width;
      const out = new Int32Array(n * w);
      for (let j = 0; j < w; j++) {
        const cs = asInt32(codeColumn(chunk, p.first + j));
        if (order) {
          for (let k = 0; k < n; k++) {
            const c = cs[order[k]!]!;
            out[k * w + j] = c >= none ? 0 : lut[c]!;
          }
        } else {
          for (let k = 0; k < n; k++) {
            const c = cs[k]!;
            out[k * w + j] = c >= none ? 0 : lut[c]!;
          }
        }
      }
      emit(`ids:${f.name}`, out, w);
    }
    encoder.state.extraColumns.forEach((c, j) => {
      const xs = float64Column(chunk, extraFirst + j);
      const out = new Float64Array(n);
      for (let k = 0; k < n; k++) out[k] = xs[order ? order[k]! : k]!;
      emit(`extra:${c}`, out, 1);
    });
    for (let s = 0; s < 3; s++) offsets[s]! += counts[s]!;
  }
  return offsets.slice(0, 3);
}

/** Narrow code columns widened to Int32 (a native copy), so the hot loops above see one array type. */
function asInt32(codes: Uint8Array | Uint16Array | Int32Array): Int32Array {
  return codes instanceof Int32Array ? codes : new Int32Array(codes);
}

/** Column keys, element types and widths of an encoder's encoded layout. */
export function columnLayout(encoder: FeatureEncoder): { key: ColumnKey; dtype: 'int32' | 'float32' | 'uint8' | 'float64'; width: number }[] {
  return [
    { key: 'label', dtype: 'uint8', width: 1 },
    { key: 'scenario', dtype: 'int32', width: 1 },
    ...encoder.fields.map((f) => (f.kind === 'numeric'
      ? { key: `num:${f.name}` as ColumnKey, dtype: 'float32' as const, width: 1 }
      : { key: `ids:${f.name}` as ColumnKey, dtype: 'int32' as const, width: f.maxLen })),
    ...encoder.state.extraColumns.map((c) => ({ key: `extra:${c}` as ColumnKey, dtype: 'float64' as const, width: 1 })),
  ];
}

