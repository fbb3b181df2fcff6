// Fitting and encoding through DuckDB, in two passes over the input and no intermediate table. The survey (one
// aggregate query) gathers everything fitting and validation need: training counts of every categorical value
// (histogram), distinct values of hashed fields, numeric min/max/median/quantiles, split sizes, bad labels and
// numerics, rows per file, and the rows that do not parse. JavaScript fits the vocabularies from those counts and
// turns each into a DuckDB ENUM in id order, so that in the encode pass a cell's id is just its ENUM code + 2
// (TRY_CAST gives NULL, i.e. OOV, for anything else): the second pass streams final ids and raw numerics chunk by
// chunk into the sinks. Hashed fields map their distinct values through the encoder once (a lookup table).
import { OptmsmError } from '../errors.js';
import { DuckSession, duckMessage, float64Column, int32Column, literal, uint8Column } from './duck.js';
import { dedupeBoundaries, RunningStats, type NumericStats } from './encoders/numeric.js';
import { fitVocab, sortScenarioValues } from './encoders/vocab.js';
import { FeatureEncoder, type FieldState } from './feature-encoder.js';
import { labelRuleSql, type LabelRule } from './label-rule.js';
import type { ColumnRequest, Source } from './read.js';
import { SPLITS, type DatasetConfig, type SplitName, type SplitSpec } from './schema.js';

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
  extraColumns.forEach((c, j) => out.push({ alias: `x${j}`, column: c, type: 'number', purpose: 'extra_columns' }));
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
      const u = `optmsm_fmix((__pos::UBIGINT + ${seedOffset(split.seed)}::UBIGINT) % 4294967296) / 4294967296.0`;
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

type SourceField = FieldState;

interface NumericSurvey {
  count: number;
  min: number;
  max: number;
  median: number;
  quantiles: number[];
}

/** What the first pass learns about the input. */
export interface Survey {
  splitRows: number[];
  badSplit: number;
  badLabel: number;
  /** Non-finite cells of numeric fields without fill, by field index. */
  badNumeric: Map<number, number>;
  /** Scenario value → rows (all splits) and → training rows. */
  scenarioAll: Map<string, number>;
  scenarioTrain: Map<string, number>;
  /** Training counts of vocabulary fields' values (multi: of their first max_len tokens), by field index. */
  trainCounts: Map<number, Map<string, number>>;
  /** All distinct values of hashed fields, by field index. */
  distinct: Map<number, string[]>;
  numeric: Map<number, NumericSurvey>;
}

function mapOf(value: unknown): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of (value as { key: unknown; value: unknown }[] | null) ?? []) out.set(String(e.key), Number(e.value));
  return out;
}

// Plain booleans (not type guards): a false result must not narrow the field's type.
const isVocab = (f: FieldState): boolean => (f.source === 'categorical' || f.source === 'multi') && f.hashBuckets === null;
const isHashed = (f: FieldState): boolean => (f.source === 'categorical' || f.source === 'multi') && f.hashBuckets !== null;
const cellSql = (i: number): string => `coalesce(c${i}, '')`;
const tokensSql = (f: Extract<FieldState, { source: 'multi' }>, i: number): string => `c${i}[1:${f.maxLen}]`;

/** The input with __split and __label (0/1, NULL when unusable) computed. */
function labelled(source: Source, split: SplitSpec | null, label: LabelRule, rejects: string | null): string {
  const labelSql = source.has('s_label') ? labelRuleSql(label, 'TRY_CAST(s_label AS DOUBLE)') : '0';
  const position = split?.kind === 'ratio';
  return `SELECT *, (${splitSql(split)})::UTINYINT AS __split, (${labelSql})::UTINYINT AS __label FROM (${source.relation({ rejects, position })})`;
}

/**
 * The first pass: one aggregate scan (plus one token-count scan per multi-valued vocabulary field). `fitting`
 * says whether training statistics are wanted (false at prediction time, where the encoder is already fitted).
 */
export async function surveyInput(
  session: DuckSession, source: Source, split: SplitSpec | null, label: LabelRule, fields: readonly SourceField[], fitting: boolean,
  checks: Checks,
): Promise<Survey> {
  await defineMacros(session);
  const train = 'FILTER (WHERE __split = 0)';
  const aggs: string[] = [
    'histogram(__f) AS __files',
    'count_if(__split = 0)::DOUBLE AS __n0', 'count_if(__split = 1)::DOUBLE AS __n1', 'count_if(__split = 2)::DOUBLE AS __n2',
    'count_if(__split = 3)::DOUBLE AS __nbad',
    `${source.has('s_label') ? 'count_if(__label IS NULL)' : '0'}::DOUBLE AS __nlabel`,
    "histogram(coalesce(s_scn, '')) AS __scn",
  ];
  if (fitting) aggs.push(`histogram(coalesce(s_scn, '')) ${train} AS __scn_train`);
  fields.forEach((f, i) => {
    if (f.source === 'scenario') return;
    if (isHashed(f)) aggs.push(f.source === 'multi' ? `list_distinct(flatten(list(DISTINCT c${i}))) AS d${i}` : `list(DISTINCT ${cellSql(i)}) AS d${i}`);
    else if (f.source === 'categorical' && fitting) aggs.push(`histogram(${cellSql(i)}) ${train} AS h${i}`);
    else if (f.source === 'numeric' || f.source === 'bucket') {
      const ok = `FILTER (WHERE __split = 0 AND isfinite(c${i}))`;
      if (fitting) {
        aggs.push(`count(c${i}) ${ok}::DOUBLE AS n${i}`, `min(c${i}) ${ok} AS lo${i}`, `max(c${i}) ${ok} AS hi${i}`, `median(c${i}) ${ok} AS med${i}`);
        if (f.source === 'bucket') {
          const qs = Array.from({ length: f.boundaries.length }, (_, k) => (k + 1) / (f.boundaries.length + 1));
          aggs.push(`quantile_disc(c${i}, [${qs.join(', ')}]) ${ok} AS q${i}`);
        }
      }
    }
  });
  checks.strictNumerics.forEach((c) => aggs.push(`count_if(NOT isfinite(coalesce(c${c.field}, 'NaN'::DOUBLE)))::DOUBLE AS bad${c.field}`));
  const rejects = `${source.id}_rej`;
  let row: Record<string, unknown>;
  try {
    [row] = (await session.rows(`SELECT ${aggs.join(', ')} FROM (${labelled(source, split, label, rejects)})`)) as [Record<string, unknown>];
  } catch (e) {
    const files = source.allFiles;
    throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${files.length === 1 ? files[0] : `${files.length} files`}: ${duckMessage(e)}`, {
      location: files[0],
      hint: source.onBadRow === 'error' && source.format === 'jsonl' ? 'on_bad_row: skip ignores lines that do not parse (they are counted)' : undefined,
    });
  }
  const rowsPerFile = new Map<number, number>();
  for (const [k, v] of mapOf(row.__files)) rowsPerFile.set(Number(k), v);
  await source.finishFirstPass(session, rejects, rowsPerFile);

  const survey: Survey = {
    splitRows: [Number(row.__n0), Number(row.__n1), Number(row.__n2)], badSplit: Number(row.__nbad), badLabel: Number(row.__nlabel),
    badNumeric: new Map(checks.strictNumerics.map((c) => [c.field, Number(row[`bad${c.field}`])])),
    scenarioAll: mapOf(row.__scn), scenarioTrain: mapOf(row.__scn_train), trainCounts: new Map(), distinct: new Map(), numeric: new Map(),
  };
  for (const [i, f] of fields.entries()) {
    if (isHashed(f)) survey.distinct.set(i, ((row[`d${i}`] as unknown[] | null) ?? []).map(String));
    else if (f.source === 'categorical' && fitting) survey.trainCounts.set(i, mapOf(row[`h${i}`]));
    else if ((f.source === 'numeric' || f.source === 'bucket') && fitting) {
      survey.numeric.set(i, {
        count: Number(row[`n${i}`]), min: Number(row[`lo${i}`] ?? 0), max: Number(row[`hi${i}`] ?? 0), median: Number(row[`med${i}`] ?? 0),
        quantiles: ((row[`q${i}`] as unknown[] | null) ?? []).map(Number),
      });
    }
  }
  if (fitting) {
    // Token counts of multi-valued vocabulary fields need an unnest, which an aggregate list cannot hold.
    for (const [i, f] of fields.entries()) {
      if (f.source !== 'multi' || !isVocab(f)) continue;
      const counts = await session.rows(`SELECT t, count(*)::DOUBLE AS n FROM (SELECT unnest(${tokensSql(f, i)}) AS t FROM (${labelled(source, split, label, null)}) WHERE __split = 0) GROUP BY t`);
      survey.trainCounts.set(i, new Map(counts.map((r) => [String(r.t), Number(r.n)])));
    }
  }
  return survey;
}

/** Throws the first problem the survey found, locating its first row (file:line) with one more scan. */
export async function checkSurvey(
  session: DuckSession, source: Source, split: SplitSpec | null, label: LabelRule, survey: Survey, checks: Checks,
): Promise<void> {
  const first = async (where: string, column: string): Promise<{ at: string; value: string }> => {
    const [r] = await session.rows(`SELECT min(__pos)::DOUBLE AS pos FROM (SELECT *, (${splitSql(split)})::UTINYINT AS __split, ${source.has('s_label') ? labelRuleSql(label, 'TRY_CAST(s_label AS DOUBLE)') : '0'} AS __label FROM (${source.relation({ rejects: null, position: true })})) WHERE ${where}`);
    const pos = Number(r!.pos);
    return { at: source.locate(pos), value: await source.rawValue(session, pos, column) };
  };
  const rowsHave = (n: number): string => (n === 1 ? '1 row has' : `${n} rows have`);
  if (survey.badSplit > 0) {
    const s = split!;
    const f = await first('__split = 3', 'column' in s ? s.column : '');
    throw new OptmsmError('E_DATA_BAD_SPLIT', `${rowsHave(survey.badSplit)} a split value that is not train, validation or test (column '${'column' in s ? s.column : ''}')`, {
      location: f.at,
      expected: s.kind === 'column' ? `one of ${[...s.train, ...s.validation, ...s.test].join(', ')}` : 'a number or timestamp',
      found: f.value,
    });
  }
  if (survey.badLabel > 0) {
    const f = await first('__label IS NULL', checks.label.column);
    throw new OptmsmError('E_DATA_BAD_LABEL', `${rowsHave(survey.badLabel)} a label in column '${checks.label.column}' that is not ${checks.label.rule ? 'a number' : '0 or 1'}`, {
      location: f.at, expected: checks.label.rule ? `a number for the rule ${checks.label.text}` : '0 or 1', found: f.value,
    });
  }
  for (const c of checks.strictNumerics) {
    const n = survey.badNumeric.get(c.field) ?? 0;
    if (n === 0) continue;
    const f = await first(`NOT isfinite(coalesce(c${c.field}, 'NaN'::DOUBLE))`, c.column);
    throw new OptmsmError('E_DATA_BAD_NUMERIC', `${rowsHave(n)} an empty, NaN or infinite value in numeric column '${c.column}', which has no fill rule`, {
      location: f.at, expected: 'a finite number', found: f.value, hint: `add fill: <number> | mean | median to the feature reading '${c.column}'`,
    });
  }
  const nScn = survey.scenarioAll.size;
  if (checks.maxScenarios !== null && nScn > checks.maxScenarios) {
    throw new OptmsmError('E_DATA_TOO_MANY_SCENARIOS', `scenario column '${checks.scenarioColumn}' has ${nScn} distinct values, more than max_scenarios = ${checks.maxScenarios}`, {
      location: `${source.files[0]!.path}: ${checks.scenarioColumn}`, expected: `at most ${checks.maxScenarios}`, found: String(nScn),
      hint: 'check that `scenario:` names the right column, or raise scenario.max_scenarios',
    });
  }
  if (split !== null) {
    survey.splitRows.forEach((n, i) => {
      if (n === 0) {
        throw new OptmsmError('E_DATA_BAD_SPLIT', `the split gives no ${SPLITS[i]} rows`, {
          location: source.files[0]!.path, expected: 'train, validation and test rows', found: survey.splitRows.join(' / '),
        });
      }
    });
  }
}

/** The first row (file:line) whose scenario value is `value`. */
async function locateScenario(session: DuckSession, source: Source, value: string): Promise<string> {
  const [r] = await session.rows(`SELECT min(__pos)::DOUBLE AS pos FROM (${source.relation({ rejects: null, position: true })}) WHERE coalesce(s_scn, '') = ${literal(value)}`);
  return source.locate(Number(r!.pos));
}

/** Fits the encoder from the survey (training split only). */
export async function fitEncoder(
  session: DuckSession, source: Source, config: DatasetConfig, planned: FieldState[], survey: Survey,
): Promise<FeatureEncoder> {
  // Scenarios: those present in train, in natural order; a value only in validation/test cannot be modelled.
  const values = sortScenarioValues([...survey.scenarioTrain.keys()]);
  const known = new Set(values);
  const unknown = [...survey.scenarioAll.keys()].find((v) => !known.has(v));
  if (unknown !== undefined) {
    throw new OptmsmError('E_DATA_UNKNOWN_SCENARIO', `scenario value '${unknown}' of column '${config.scenario.column}' appears outside the training split only`, {
      location: await locateScenario(session, source, unknown), expected: `one of ${values.join(', ')}`, found: unknown,
      hint: 'every scenario needs training rows',
    });
  }
  const needMoments: number[] = [];
  planned.forEach((f, i) => {
    if ((f.source === 'categorical' || f.source === 'multi') && f.hashBuckets === null) {
      const counts = survey.trainCounts.get(i) ?? new Map<string, number>();
      f.vocab = fitVocab([...counts.keys()], [...counts.values()], f.minCount);
    } else if (f.source === 'numeric' || f.source === 'bucket') {
      const n = survey.numeric.get(i)!;
      f.stats = { count: n.count, min: n.min, max: n.max, mean: 0, std: 0, median: n.median };
      if (f.source === 'bucket') f.boundaries = dedupeBoundaries(n.quantiles);
      const spec = config.features[i - 1]!;
      if (spec.kind === 'numeric' && spec.fill === 'median') f.fill = n.median;
      if ((f.source === 'numeric' && f.normalize === 'standard') || (spec.kind === 'numeric' && spec.fill === 'mean')) needMoments.push(i);
    }
  });
  if (needMoments.length > 0) {
    // Mean and std in input order (Welford), so they are the same on every run whatever DuckDB's thread count.
    // Only fields that use them pay for this extra (projected) scan.
    const acc = needMoments.map(() => new RunningStats());
    const sql = `SELECT __split, ${needMoments.map((i) => `coalesce(c${i}, 'NaN'::DOUBLE)`).join(', ')} FROM (${labelled(source, config.split, config.label, null)})`;
    for await (const chunk of session.chunks(sql)) {
      const split = uint8Column(chunk, 0);
      needMoments.forEach((_, j) => {
        const xs = float64Column(chunk, j + 1);
        const s = acc[j]!;
        for (let r = 0; r < chunk.rowCount; r++) if (split[r] === 0 && Number.isFinite(xs[r]!)) s.push(xs[r]!);
      });
    }
    needMoments.forEach((i, j) => {
      const f = planned[i] as Extract<FieldState, { source: 'numeric' | 'bucket' }>;
      const { mean, std } = acc[j]!.result();
      f.stats = { ...f.stats, mean, std };
      const spec = config.features[i - 1]!;
      if (spec.kind === 'numeric' && spec.fill === 'mean') f.fill = mean;
    });
  }
  return FeatureEncoder.fromState({
    dataset: config.name,
    label: { column: config.label.column, text: config.label.text, rule: config.label.rule },
    scenario: { column: config.scenario.column, values },
    fields: planned,
    extraColumns: config.extraColumns,
  });
}

let enumCounter = 0;

/** A DuckDB ENUM whose code c is values[c] (null for an empty list). */
async function createEnum(session: DuckSession, values: readonly string[]): Promise<string | null> {
  if (values.length === 0) return null;
  const name = `optmsm_enum_${++enumCounter}`;
  await session.run(`CREATE TABLE ${name}_v (o INTEGER, s VARCHAR)`);
  const appender = await session.conn.createAppender(`${name}_v`);
  for (let i = 0; i < values.length; i++) {
    appender.appendInteger(i);
    appender.appendVarchar(values[i]!);
    appender.endRow();
  }
  appender.closeSync();
  await session.run(`CREATE TYPE ${name} AS ENUM (SELECT s FROM ${name}_v ORDER BY o)`);
  await session.run(`DROP TABLE ${name}_v`);
  return name;
}

/**
 * The second pass: streams every row once, in input order, as final ids (ENUM code + 2 for vocabulary fields,
 * via a lookup table for hashed ones) and raw numerics through the encoder, routing rows to `sinkFor(split)`
 * (split 0 only when there is no split). Returns rows written per split.
 */
export async function encodeInput(
  session: DuckSession, source: Source, split: SplitSpec | null, encoder: FeatureEncoder, survey: Survey, sinkFor: (split: number) => ColumnSink,
): Promise<number[]> {
  const fields = encoder.state.fields;
  const scenarioValues = encoder.scenarios.values;
  const knownScenarios = new Set(scenarioValues);
  for (const v of survey.scenarioAll.keys()) if (!knownScenarios.has(v)) encoder.scenarioIndex(v, await locateScenario(session, source, v));
  const scnEnum = await createEnum(session, scenarioValues);
  const cols: string[] = ['__split', 'coalesce(__label, 0)::UTINYINT', `coalesce(enum_code(TRY_CAST(coalesce(s_scn, '') AS ${scnEnum}))::INTEGER, -1)`];
  const plan: { field: number; first: number; width: number; lut: Int32Array | null }[] = [];
  for (const [i, f] of fields.entries()) {
    if (f.source === 'scenario') continue;
    const first = cols.length;
    if (f.source === 'numeric' || f.source === 'bucket') {
      cols.push(`coalesce(c${i}, 'NaN'::DOUBLE)`);
      plan.push({ field: i, first, width: 1, lut: null });
      continue;
    }
    const width = f.source === 'multi' ? f.maxLen : 1;
    let lut: Int32Array | null = null;
    let type: string | null;
    if (f.hashBuckets !== null) {
      const values = survey.distinct.get(i) ?? [];
      type = await createEnum(session, values);
      lut = Int32Array.from(values, (v) => encoder.categoricalId(i, v));
    } else type = await createEnum(session, f.vocab!);
    // Vocabulary fields: id = code + 2, OOV (not in the ENUM) = 1, no token = 0. Hashed: code, or -1 for none.
    const id = (cell: string): string => (lut
      ? `coalesce(enum_code(TRY_CAST(${cell} AS ${type}))::INTEGER, -1)`
      : type === null ? '1' : `coalesce(enum_code(TRY_CAST(${cell} AS ${type}))::INTEGER + 2, 1)`);
    if (f.source === 'multi') {
      for (let k = 1; k <= f.maxLen; k++) cols.push(`CASE WHEN len(c${i}) >= ${k} THEN ${id(`c${i}[${k}]`)} ELSE ${lut ? -1 : 0} END`);
    } else cols.push(id(cellSql(i)));
    plan.push({ field: i, first, width, lut });
  }
  const extraFirst = cols.length;
  encoder.state.extraColumns.forEach((_, j) => cols.push(`coalesce(x${j}, 'NaN'::DOUBLE)`));
  const scenarioName = fields[0]!.name;
  const offsets = [0, 0, 0, 0];
  for await (const chunk of session.chunks(`SELECT ${cols.join(', ')} FROM (${labelled(source, split, encoder.labelRule, null)})`)) {
    const n = chunk.rowCount;
    const splits = uint8Column(chunk, 0);
    // Row positions of each split inside this chunk (usually one split dominates; all rows when predicting).
    const counts = [0, 0, 0, 0];
    for (let r = 0; r < n; r++) counts[splits[r]!]!++;
    const rowsOf = counts.map((c) => new Int32Array(c));
    const fill = [0, 0, 0, 0];
    for (let r = 0; r < n; r++) {
      const s = splits[r]!;
      rowsOf[s]![fill[s]!++] = r;
    }
    // Each column is mapped and gathered per split in one loop (`idx` = the split's rows in this chunk).
    const each = (key: ColumnKey, width: number, make: (idx: Int32Array | null, m: number) => ColumnData): void => {
      for (let s = 0; s < 3; s++) {
        const idx = rowsOf[s]!;
        if (idx.length > 0) sinkFor(s).write(key, offsets[s]! * width, make(idx.length === n ? null : idx, idx.length));
      }
    };
    const labels = uint8Column(chunk, 1);
    each('label', 1, (idx, m) => (idx ? Uint8Array.from(idx, (r) => labels[r]!) : labels.slice(0, m)));
    const sc = int32Column(chunk, 2);
    each('scenario', 1, (idx, m) => (idx ? Int32Array.from(idx, (r) => sc[r]!) : sc.slice(0, m)));
    each(`ids:${scenarioName}`, 1, (idx, m) => {
      const out = new Int32Array(m);
      for (let k = 0; k < m; k++) out[k] = sc[idx ? idx[k]! : k]! + 2;
      return out;
    });
    for (const p of plan) {
      const f = fields[p.field]!;
      if (f.source === 'numeric' || f.source === 'bucket') {
        const xs = float64Column(chunk, p.first);
        each(f.source === 'bucket' ? `ids:${f.name}` : `num:${f.name}`, 1, (idx, m) => {
          const out = f.source === 'bucket' ? new Int32Array(m) : new Float32Array(m);
          for (let k = 0; k < m; k++) out[k] = encoder.numericCell(p.field, xs[idx ? idx[k]! : k]!, 'encode');
          return out;
        });
        continue;
      }
      const w = p.width;
      const lut = p.lut;
      const idCols = Array.from({ length: w }, (_, j) => int32Column(chunk, p.first + j));
      each(`ids:${f.name}`, w, (idx, m) => {
        if (w === 1 && !lut) return idx ? Int32Array.from(idx, (r) => idCols[0]![r]!) : idCols[0]!.slice(0, m);
        const out = new Int32Array(m * w);
        for (let j = 0; j < w; j++) {
          const cs = idCols[j]!;
          for (let k = 0; k < m; k++) {
            const c = cs[idx ? idx[k]! : k]!;
            out[k * w + j] = lut ? (c < 0 ? 0 : lut[c]!) : c;
          }
        }
        return out;
      });
    }
    encoder.state.extraColumns.forEach((c, j) => {
      const xs = float64Column(chunk, extraFirst + j);
      each(`extra:${c}`, 1, (idx, m) => (idx ? Float64Array.from(idx, (r) => xs[r]!) : xs.slice(0, m)));
    });
    for (let s = 0; s < 3; s++) offsets[s]! += counts[s]!;
  }
  return offsets.slice(0, 3);
}

async function defineMacros(session: DuckSession): Promise<void> {
  for (const m of FMIX_MACROS) await session.run(m);
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
      // boundaries holds B-1 placeholders until fitEncoder replaces them with the training quantiles.
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

export const SPLIT_INDEX: Record<SplitName, number> = { train: 0, validation: 1, test: 2 };
