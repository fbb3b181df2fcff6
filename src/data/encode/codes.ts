// The two DuckDB passes that turn raw cells into integer codes. The first is one aggregate scan (every column as
// text) collecting each categorical, multi and scenario field's distinct values and the rows per file, with the
// rows that do not parse recorded by the reader; each distinct list becomes an ENUM (or a (value, code) table
// for readers that join). The second writes the code table: one row per input row in input order, every
// categorical cell as the code of its value, numerics as DOUBLE, the label and the split. Raw strings are never
// materialised; everything after this works on integers.
import { OptmsmError } from '../../errors.js';
import { cellAlias, codeAlias, distinctAlias, extraAlias, historyKeyAlias, historyTimeAlias, SQL, tokenCodeAlias } from '../contracts.js';
import { DuckSession, duckMessage } from '../duck.js';
import { SECONDS_PER_DAY } from '../encoders/date.js';
import type { FieldState } from '../feature-encoder.js';
import { labelRuleSql, type LabelRule } from '../label-rule.js';
import type { SplitSpec } from '../schema.js';
import type { Source } from '../source.js';
import { hasCodes, isNumeric } from './plan.js';
import { SPLIT_MACROS, splitSql, splitsByPosition } from './split.js';

/** One field's distinct values (all rows, first-pass order: code c is values[c]) and how they become codes. */
export interface EnumInfo {
  /** The ENUM type of the values (readers with 'enum' codes), else null. */
  type: string | null;
  values: string[];
  /** A (v, code) table of the same values (readers with 'join' codes), else null. */
  dict: string | null;
}

/** The first pass; returns one EnumInfo per field (null for numeric fields). */
export async function createEnums(session: DuckSession, source: Source, fields: readonly FieldState[]): Promise<(EnumInfo | null)[]> {
  // Rows per file: a few count_if are cheaper than a histogram (a per-row map insert) for the usual few files.
  const nFiles = source.allFiles.length;
  const aggs: string[] = nFiles <= 32
    ? source.allFiles.map((_, k) => `count_if(${SQL.file} = ${k})::DOUBLE AS __file${k}`)
    : [`histogram(${SQL.file}) AS __files`];
  fields.forEach((f, i) => {
    if (f.source === 'scenario' || f.source === 'categorical') {
      // A categorical field's values include the ids of the sequences read from the data that share its vocabulary.
      const sequences = fields.flatMap((g, j) => (g.source === 'sequence' && g.history === null && g.vocabulary === f.name ? [j] : []));
      // Sorted, so a value's code is the same whatever the reader and DuckDB's threads (a derived history breaks
      // ties in time by code).
      const own = `list(DISTINCT coalesce(${cellAlias(i)}, ''))`;
      aggs.push(`list_sort(${sequences.length === 0 ? own : `list_distinct(list_concat(${[own, ...sequences.map((j) => `flatten(list(DISTINCT ${cellAlias(j)}))`)].join(', ')}))`}) AS ${distinctAlias(i)}`);
    } else if (f.source === 'multi') aggs.push(`list_sort(list_distinct(flatten(list(DISTINCT ${cellAlias(i)})))) AS ${distinctAlias(i)}`);
    // Numerics are parsed (and their bad cells rejected) in this pass too.
    else if (isNumeric(f)) aggs.push(`count(${cellAlias(i)}) AS n${i}`);
  });
  const lists = `${source.id}_distinct`;
  const rejects = `${source.id}_rej`;
  try {
    await session.run(`CREATE TABLE ${lists} AS SELECT ${aggs.join(', ')} FROM (${source.relation({ kind: 'first', rejects })})`);
  } catch (e) {
    const files = source.allFiles;
    throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${files.length === 1 ? files[0] : `${files.length} files`}: ${duckMessage(e)}`, {
      location: files[0],
    });
  }
  const [listed] = await session.rows(`SELECT * FROM ${lists}`);
  const rowsPerFile = new Map<number, number>();
  if (nFiles <= 32) for (let k = 0; k < nFiles; k++) rowsPerFile.set(k, Number(listed![`__file${k}`]));
  else for (const e of (listed!.__files as { key: unknown; value: unknown }[] | null) ?? []) rowsPerFile.set(Number(e.key), Number(e.value));
  await source.finishFirstPass(rejects, rowsPerFile);
  // An ENUM made from a list numbers its values in list order, so code c is the list's element c.
  const out: (EnumInfo | null)[] = [];
  for (const [i, f] of fields.entries()) {
    if (!hasCodes(f)) {
      out.push(null);
      continue;
    }
    const list = distinctAlias(i);
    const values = ((listed![list] as unknown[] | null) ?? []).map(String);
    if (values.length === 0) {
      out.push({ type: null, values: [], dict: null });
      continue;
    }
    const name = `${source.id}_e${i}`;
    if (source.reader.codes === 'join') {
      await session.run(`CREATE TABLE ${name}_d AS SELECT unnest(${list}) AS v, (generate_subscripts(${list}, 1) - 1)::INTEGER AS code FROM ${lists}`);
      out.push({ type: null, values, dict: `${name}_d` });
    } else {
      await session.run(`CREATE TYPE ${name} AS ENUM (SELECT unnest(${list}) FROM ${lists})`);
      out.push({ type: name, values, dict: null });
    }
  }
  await session.run(`DROP TABLE ${lists}`);
  return out;
}

/**
 * The second pass: the code table, one row per input row in input order, holding every categorical cell as its
 * code (codeAlias, or tokenCodeAlias per token of a multi field; the value count n means "no value"), numerics
 * as DOUBLE (NaN when missing), the split and the 0/1 label (NULL when unusable). Returns a view over it that
 * adds the row id and, for ratio splits, the split.
 */
export async function createCodeTable(
  session: DuckSession, source: Source, split: SplitSpec | null, label: LabelRule, fields: readonly FieldState[],
  enums: readonly (EnumInfo | null)[], extraCount: number,
): Promise<string> {
  for (const m of SPLIT_MACROS) await session.run(m);
  const enumTypes = new Map<string, string>();
  fields.forEach((f, i) => {
    const t = enums[i]?.type;
    if (t && (f.source === 'scenario' || f.source === 'categorical')) enumTypes.set(cellAlias(i), t);
  });
  // Codes 0..n-1 name the values and n means "no value" (a pad position); each column takes the narrowest
  // unsigned type that holds n.
  const size = (i: number): number => enums[i]!.values.length;
  const vocabularyOf = (i: number): number => {
    const f = fields[i]!;
    return f.source === 'sequence' ? fields.findIndex((g) => g.name === f.vocabulary) : i;
  };
  const codeType = (i: number): string => (size(i) < 255 ? 'UTINYINT' : size(i) < 65535 ? 'USMALLINT' : 'INTEGER');
  const emptyCode = (i: number): number => (enums[i]!.values.includes('') ? enums[i]!.values.indexOf('') : size(i));
  // 'join' readers: strings map to codes through hash joins on the (value, code) tables, then rows are put back in
  // input order by position. 'enum' readers: ENUM casts (which the CSV reader does while parsing), which keep the
  // scan order by themselves.
  const joins: string[] = [];
  /** The code of field f's cell; `token` is the 1-based position (SQL) in a multi or sequence cell, null for single cells. */
  const lookup = (f: number, token: string | null): string => {
    const i = vocabularyOf(f);
    const e = enums[i]!;
    const cell = `p.${cellAlias(f)}`;
    const none = token === null ? emptyCode(i) : size(i);
    if (e.dict !== null) {
      const d = `j${joins.length}`;
      joins.push(`LEFT JOIN ${e.dict} ${d} ON ${token === null ? `coalesce(${cell}, '')` : `${cell}[${token}]`} = ${d}.v`);
      return `coalesce(${d}.code, ${none})::${codeType(i)}`;
    }
    if (e.type === null) return `${none}::UTINYINT`;
    // Categorical cells already hold the ENUM (parsed by the reader, or cast by the relation).
    return `coalesce(enum_code(${token === null ? cell : `CAST(${cell}[${token}] AS ${e.type})`}), ${none})::${codeType(i)}`;
  };
  const labelSql = source.has(SQL.labelCell) ? labelRuleSql(label, `TRY_CAST(${SQL.labelCell} AS DOUBLE)`) : '0';
  const byPosition = splitsByPosition(split);
  const cols = [`(${labelSql})::UTINYINT AS ${SQL.labelCode}`];
  if (!byPosition) cols.push(`(${splitSql(split, SQL.rowId)})::UTINYINT AS ${SQL.splitCode}`);
  fields.forEach((f, i) => {
    if (f.source === 'scenario' || f.source === 'categorical') cols.push(`${lookup(i, null)} AS ${codeAlias(i)}`);
    else if (f.source === 'multi') for (let k = 1; k <= f.maxLen; k++) cols.push(`${lookup(i, String(k))} AS ${tokenCodeAlias(i, k)}`);
    else if (f.source === 'sequence' && f.history !== null) cols.push(`p.${historyKeyAlias(i)} AS ${historyKeyAlias(i)}`, `p.${historyTimeAlias(i)} AS ${historyTimeAlias(i)}`);
    else if (f.source === 'sequence') {
      // The most recent maxLen ids, oldest first.
      const from = `greatest(len(p.${cellAlias(i)}) - ${f.maxLen}, 0)`;
      for (let k = 1; k <= f.maxLen; k++) cols.push(`${lookup(i, `${from} + ${k}`)} AS ${tokenCodeAlias(i, k)}`);
    }
    // Numbers as DOUBLE; dates as seconds since 1970-01-01, or as days for a days field (encoders/date.ts).
    else if (isNumeric(f) && f.days) cols.push(`p.${cellAlias(i)} / ${SECONDS_PER_DAY}.0 AS ${codeAlias(i)}`);
    else cols.push(`coalesce(p.${cellAlias(i)}, 'NaN'::DOUBLE) AS ${codeAlias(i)}`);
  });
  for (let j = 0; j < extraCount; j++) cols.push(`${source.has(extraAlias(j)) ? `coalesce(p.${extraAlias(j)}, 'NaN'::DOUBLE)` : `'NaN'::DOUBLE`} AS ${extraAlias(j)}`);
  const table = `${source.id}_codes`;
  const byJoin = joins.length > 0;
  const input = source.relation({ kind: 'second', enumTypes: byJoin ? new Map() : enumTypes, position: byJoin });
  try {
    await session.run(`CREATE TABLE ${table} AS SELECT ${cols.join(', ')} FROM (${input}) p ${joins.join(' ')}${byJoin ? ` ORDER BY p.${SQL.position}` : ''}`);
  } catch (e) {
    throw new OptmsmError('E_DATA_BAD_ROW', `cannot read ${source.allFiles[0]}: ${duckMessage(e)}`, { location: source.allFiles[0] });
  }
  const coded = await deriveHistories(session, table, fields, (i) => ({ code: codeAlias(vocabularyOf(i)), none: size(vocabularyOf(i)), type: codeType(vocabularyOf(i)) }));
  const view = `${table}_v`;
  // The row id is the row's position in the code table (which keeps input order). A position split hashes the
  // input position, which counts the rows that did not parse too: the row id plus the skipped rows before it.
  const position = byPosition && source.skipped.length > 0 ? await addInputPositions(session, source, coded) : 'rowid';
  await session.run(`CREATE VIEW ${view} AS SELECT rowid::INTEGER AS ${SQL.rowId}, *${byPosition ? `, (${splitSql(split, position)})::UTINYINT AS ${SQL.splitCode}` : ''} FROM ${coded}`);
  return view;
}

/**
 * Adds SQL.inputPosition to the code table: the row id plus the number of skipped rows before the row, through an
 * ASOF join on the row ids where that count steps up, the table rewritten in row-id order (only when rows were
 * skipped). Returns the column's name.
 */
async function addInputPositions(session: DuckSession, source: Source, table: string): Promise<string> {
  // After skipped row j come the parsed rows from before[j] on: the count steps up there.
  const before = await source.skippedRowIds();
  const at: number[] = [];
  const count: number[] = [];
  before.forEach((rid, j) => {
    if (at[at.length - 1] === rid) count[count.length - 1] = j + 1;
    else {
      at.push(rid);
      count.push(j + 1);
    }
  });
  const steps = `${table}_steps`;
  await session.run(`CREATE TABLE ${steps} AS SELECT unnest([${at.join(', ')}])::BIGINT AS at, unnest([${count.join(', ')}])::BIGINT AS skipped`);
  await session.run(
    `CREATE TABLE ${table}_p AS SELECT c.* EXCLUDE (r), (c.r + coalesce(s.skipped, 0))::BIGINT AS ${SQL.inputPosition}
     FROM (SELECT rowid AS r, * FROM ${table}) c ASOF LEFT JOIN ${steps} s ON c.r >= s.at ORDER BY c.r`);
  await session.run(`DROP TABLE ${table}`);
  await session.run(`DROP TABLE ${steps}`);
  await session.run(`ALTER TABLE ${table}_p RENAME TO ${table}`);
  return SQL.inputPosition;
}

/**
 * The token codes of the sequences derived from the rows as an event log: per key, the codes of the vocabulary
 * field in the rows strictly earlier by time (a RANGE frame that excludes the row's own time, so events at the
 * same instant never see each other), oldest first (ties by code, so the order is deterministic), the last
 * maxLen of them. Returns the code table with those columns (itself when no sequence is derived), in input order.
 */
async function deriveHistories(
  session: DuckSession, table: string, fields: readonly FieldState[],
  vocabulary: (field: number) => { code: string; none: number; type: string },
): Promise<string> {
  const derived = fields.flatMap((f, i) => (f.source === 'sequence' && f.history !== null ? [{ i, maxLen: f.maxLen, ...vocabulary(i) }] : []));
  if (derived.length === 0) return table;
  const windows = derived.map(({ i, code }) => `list(${code} ORDER BY ${historyTimeAlias(i)}, ${code}) OVER (PARTITION BY ${historyKeyAlias(i)} `
    + `ORDER BY ${historyTimeAlias(i)} RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE GROUP) AS w${i}`);
  const tokens = derived.flatMap(({ i, maxLen, none, type }) => Array.from({ length: maxLen }, (_, k) =>
    `coalesce(h.w${i}[greatest(len(h.w${i}) - ${maxLen}, 0) + ${k + 1}], ${none})::${type} AS ${tokenCodeAlias(i, k + 1)}`));
  const inputs = derived.flatMap(({ i }) => [historyKeyAlias(i), historyTimeAlias(i)]);
  const out = `${table}_h`;
  await session.run(`CREATE TABLE ${out} AS SELECT c.* EXCLUDE (${inputs.join(', ')}), ${tokens.join(', ')} FROM (SELECT rowid AS r, * FROM ${table}) c `
    + `JOIN (SELECT rowid AS r, ${windows.join(', ')} FROM ${table}) h ON c.r = h.r ORDER BY c.r`);
  await session.run(`ALTER TABLE ${out} DROP COLUMN r`);
  await session.run(`DROP TABLE ${table}`);
  return out;
}
