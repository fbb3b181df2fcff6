// Fitting on the training split of the code table: one ordered streaming scan counts every code column
// (vocabularies, scenarios) and accumulates numeric count / min / max / mean / std (Welford, in row order, so
// they never depend on DuckDB's thread count); one DuckDB query adds medians and quantiles for the fields that
// use them (fill: median, buckets).
import { OptmsmError } from '../../errors.js';
import { codeAlias, SCENARIO_FIELD, SPLIT_CODE, SQL, tokenCodeAlias } from '../contracts.js';
import { codeColumn, type DuckSession, float64Column, uint8Column } from '../duck.js';
import { referenceDays } from '../encoders/date.js';
import { dedupeBoundaries, RunningStats } from '../encoders/numeric.js';
import { fitVocab, sortScenarioValues } from '../encoders/vocab.js';
import { FeatureEncoder, type FieldState } from '../feature-encoder.js';
import type { DatasetConfig } from '../schema.js';
import type { Source } from '../source.js';
import type { EnumInfo } from './codes.js';
import { hasCodes, isNumeric, type FieldPlan } from './plan.js';

type NumericState = Extract<FieldState, { source: 'numeric' | 'bucket' }>;

/** Narrow code columns widened to Int32 (a native copy), so the hot loops see one array type. */
export function asInt32(codes: Uint8Array | Uint16Array | Int32Array): Int32Array {
  return codes instanceof Int32Array ? codes : new Int32Array(codes);
}

/** The first row id (in input order) whose scenario code is `code`. */
export async function firstRowOfScenario(session: DuckSession, codes: string, code: number): Promise<number> {
  const [r] = await session.rows(`SELECT min(${SQL.rowId})::DOUBLE AS rid FROM ${codes} WHERE ${codeAlias(SCENARIO_FIELD)} = ${code}`);
  return Number(r!.rid);
}

/** Fits the encoder on the training rows of the code table. */
export async function fitEncoder(
  session: DuckSession, codes: string, source: Source, config: DatasetConfig, plans: readonly FieldPlan[], enums: readonly (EnumInfo | null)[],
): Promise<FeatureEncoder> {
  const fields = plans.map((p) => p.state);
  const train = SPLIT_CODE.train;
  const keyCols: { field: number; col: string }[] = [{ field: SCENARIO_FIELD, col: codeAlias(SCENARIO_FIELD) }];
  fields.forEach((f, i) => {
    if ((f.source !== 'categorical' && f.source !== 'multi') || f.hashBuckets !== null || enums[i]!.values.length === 0) return;
    if (f.source === 'multi') for (let k = 1; k <= f.maxLen; k++) keyCols.push({ field: i, col: tokenCodeAlias(i, k) });
    else keyCols.push({ field: i, col: codeAlias(i) });
  });
  const counts = new Map<number, Float64Array>();
  fields.forEach((f, i) => {
    if (hasCodes(f)) counts.set(i, new Float64Array(enums[i]!.values.length));
  });
  const numericFields = fields.flatMap((f, i) => (isNumeric(f) ? [i] : []));
  const acc = numericFields.map(() => new RunningStats());
  const scan = [...keyCols.map((k) => k.col), ...numericFields.map(codeAlias)];
  for await (const chunk of session.chunks(`SELECT ${SQL.splitCode}, ${scan.join(', ')} FROM ${codes}`)) {
    const n = chunk.rowCount;
    const split = uint8Column(chunk, 0);
    keyCols.forEach((k, j) => {
      const cs = asInt32(codeColumn(chunk, j + 1));
      const c = counts.get(k.field)!;
      const none = c.length;
      for (let r = 0; r < n; r++) if (split[r] === train && cs[r]! < none) c[cs[r]!]!++;
    });
    numericFields.forEach((_, j) => {
      const xs = float64Column(chunk, keyCols.length + j + 1);
      const s = acc[j]!;
      for (let r = 0; r < n; r++) if (split[r] === train && Number.isFinite(xs[r]!)) s.push(xs[r]!);
    });
  }
  // Scenarios: those present in train, in natural order; a value only in validation/test cannot be modelled.
  const scenarioEnum = enums[SCENARIO_FIELD]!;
  const scenarioCounts = counts.get(SCENARIO_FIELD)!;
  const values = sortScenarioValues(scenarioEnum.values.filter((_, c) => scenarioCounts[c]! > 0));
  const known = new Set(values);
  const unknown = scenarioEnum.values.findIndex((v) => !known.has(v));
  if (unknown >= 0) {
    throw new OptmsmError('E_DATA_UNKNOWN_SCENARIO', `scenario value '${scenarioEnum.values[unknown]}' of column '${config.scenario.column}' appears outside the training split only`, {
      location: source.locate(await firstRowOfScenario(session, codes, unknown)), expected: `one of ${values.join(', ')}`, found: scenarioEnum.values[unknown],
      hint: 'every scenario needs training rows',
    });
  }

  const stateOf = (i: number): NumericState => fields[i] as NumericState;
  numericFields.forEach((i, j) => {
    const a = acc[j]!;
    stateOf(i).stats = { count: a.count, min: a.count > 0 ? a.min : 0, max: a.count > 0 ? a.max : 0, mean: 0, std: 0, median: 0 };
  });
  const fillRule = (i: number) => {
    const spec = plans[i]!.spec;
    return spec?.kind === 'numeric' || spec?.kind === 'date' ? spec.fill : null;
  };
  const ordered = numericFields.filter((i) => stateOf(i).source === 'bucket' || fillRule(i) === 'median');
  if (ordered.length > 0) {
    const aggs = ordered.flatMap((i) => {
      const f = stateOf(i);
      const k = codeAlias(i);
      const ok = `FILTER (WHERE isfinite(${k}))`;
      const q = f.source === 'bucket'
        ? [`quantile_disc(${k}, [${Array.from({ length: f.boundaries.length }, (_, b) => (b + 1) / (f.boundaries.length + 1)).join(', ')}]) ${ok} AS q${i}`]
        : [];
      return [`median(${k}) ${ok} AS med${i}`, ...q];
    });
    const [r] = await session.rows(`SELECT ${aggs.join(', ')} FROM ${codes} WHERE ${SQL.splitCode} = ${train}`);
    for (const i of ordered) {
      const f = stateOf(i);
      f.stats = { ...f.stats, median: Number(r![`med${i}`] ?? 0) };
      if (f.source === 'bucket') f.boundaries = dedupeBoundaries(((r![`q${i}`] as number[] | null) ?? []).map(Number));
    }
  }
  fields.forEach((f, i) => {
    if ((f.source === 'categorical' || f.source === 'multi') && f.hashBuckets === null) f.vocab = fitVocab(enums[i]!.values, counts.get(i)!, f.minCount);
  });
  numericFields.forEach((i, j) => {
    const f = stateOf(i);
    const { mean, std } = acc[j]!.result();
    f.stats = { ...f.stats, mean, std };
    // A days field was fitted on days since 1970-01-01; it counts from its reference (given, or the first training day).
    if (f.days) {
      const spec = plans[i]!.spec;
      const given = spec?.kind === 'date' ? spec.reference : null;
      const reference = given !== null ? referenceDays(given) : f.stats.count > 0 ? Math.floor(f.stats.min) : 0;
      f.days = { ...f.days, reference };
      const { count, min, max, std: spread, median } = f.stats;
      f.stats = { count, min: min - reference, max: max - reference, mean: f.stats.mean - reference, std: spread, median: median - reference };
      if (f.source === 'bucket') f.boundaries = f.boundaries.map((b) => b - reference);
    }
    const rule = fillRule(i);
    if (rule !== null) f.fill = rule === 'mean' ? mean : rule === 'median' ? f.stats.median : rule;
  });

  return FeatureEncoder.fromState({
    dataset: config.name,
    label: { column: config.label.column, text: config.label.text, rule: config.label.rule },
    scenario: { column: config.scenario.column, values },
    fields,
    extraColumns: config.extraColumns,
    input: { format: config.format, csv: config.csv },
  });
}
