// prepareDataset: read (a Source over the format's reader) → codes (two DuckDB passes, the split) → validate →
// fit on train → encode → store (memory or the cache). A second run with the same data files and config finds the
// cache entry and skips the reading. encodeFile does the prediction-time half: read a raw file and encode it
// with a saved encoder. This module is the only one that knows every stage; each stage knows only earlier ones.
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OptmsmError } from '../errors.js';
import { SQL } from './contracts.js';
import { MemorySink, type ColumnSink, type EncodedColumns, type FieldInfo } from './columns.js';
import { DuckSession } from './duck.js';
import { encodeCodes } from './encode/apply.js';
import { createCodeTable, createEnums } from './encode/codes.js';
import { fitEncoder } from './encode/fit.js';
import { splitColumnOf } from './encode/split.js';
import { columnRequests, dateChecks, isNumeric, planFields } from './encode/plan.js';
import { validateData } from './encode/validate.js';
import type { FeatureEncoder } from './feature-encoder.js';
import { formatOf, readerFor, type BadRow, type Reader } from './readers/index.js';
import { DEFAULT_CSV, SPLITS, type CsvOptions, type DatasetConfig, type SplitName } from './schema.js';
import { expandFiles, Source, type SourceGroup } from './source.js';
import { CACHE_VERSION, commitEntry, DiskSink, openStore, readSplit, storeLayout, writeStoreMeta, type StoredDataset } from './store.js';
import { ensureSyntheticData } from './synthetic.js';

export interface PrepareOptions {
  /** Where encoded datasets are cached; default `.cache/optmsm` under the current directory. */
  cacheDir?: string;
  /** false: never read or write the cache (everything stays in memory). Default true. */
  cache?: boolean;
  /** DuckDB threads (default 2). */
  threads?: number;
  /** DuckDB memory_limit (default '2GB'); beyond it DuckDB spills to a temporary directory. */
  memoryLimit?: string;
  /** Progress lines (reading, fitting, encoding, cache hits). */
  log?: (message: string) => void;
}

export interface PrepareReport {
  dataset: string;
  files: string[];
  rows: Record<SplitName, number>;
  /** Rows dropped under on_bad_row: skip (file:line and why), first 20. */
  skippedRows: number;
  badRows: BadRow[];
  cacheHit: boolean;
  cacheEntry: string | null;
  seconds: number;
}

export interface PreparedDataset {
  fields: FieldInfo[];
  scenarios: { column: string; values: string[] };
  encoder: FeatureEncoder;
  train: EncodedColumns;
  validation: EncodedColumns;
  test: EncodedColumns;
  report: PrepareReport;
}

/** An encoded dataset that stays on disk (for streaming larger-than-memory data, see streamBatches). */
export interface StoredPrepared {
  fields: FieldInfo[];
  scenarios: { column: string; values: string[] };
  encoder: FeatureEncoder;
  store: StoredDataset;
  report: PrepareReport;
}

export const defaultCacheDir = (): string => resolve(process.cwd(), '.cache', 'optmsm');

/** The reader of the config's format, or of the first file's extension. */
function readerOf(format: string | null, files: readonly string[], location: string): Reader {
  const name = format ?? formatOf(files[0]!);
  if (name === null) {
    throw new OptmsmError('E_CONFIG_INVALID', `cannot tell the format of ${files[0]} from its extension`, {
      location: files[0], expected: 'format: csv | parquet | jsonl in the dataset config',
    });
  }
  return readerFor(name, location);
}

async function sourceGroups(session: DuckSession, config: DatasetConfig, log: (m: string) => void): Promise<SourceGroup[]> {
  // A config with a `synthetic:` block names the built-in generated dataset: make it when it is missing.
  await ensureSyntheticData(config, log);
  if (Array.isArray(config.files)) return [{ split: null, files: await expandFiles(session, config.files, config.format) }];
  const perSplit = config.files;
  const groups: SourceGroup[] = [];
  for (const split of SPLITS) groups.push({ split, files: await expandFiles(session, perSplit[split], config.format) });
  return groups;
}

/** A cheap fingerprint of a file: path, size, mtime and the hash of its first and last 64 KiB. */
function fileFingerprint(path: string): string {
  const st = statSync(path);
  const h = createHash('sha256').update(`${path}\0${st.size}\0${st.mtimeMs}\0`);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(65536, st.size));
    readSync(fd, buf, 0, buf.length, 0);
    h.update(buf);
    readSync(fd, buf, 0, buf.length, Math.max(0, st.size - buf.length));
    h.update(buf);
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function cacheKey(config: DatasetConfig, groups: SourceGroup[]): string {
  const { source: _source, ...rest } = config;
  const files = groups.map((g) => ({ split: g.split, files: g.files.map(fileFingerprint) }));
  return createHash('sha256').update(JSON.stringify({ v: CACHE_VERSION, config: rest, files })).digest('hex').slice(0, 24);
}

export const DEFAULT_MEMORY_LIMIT = '2GB';

async function withSession<T>(options: PrepareOptions, tempDir: string | undefined, fn: (s: DuckSession) => Promise<T>): Promise<T> {
  const session = await DuckSession.open({
    threads: options.threads ?? 2, memoryLimit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
    tempDir: tempDir ?? join(tmpdir(), `optmsm-duckdb-${process.pid}`),
  });
  try {
    return await fn(session);
  } finally {
    session.close();
  }
}

/** Reads, splits, validates, fits and encodes; `sinkFor(rows)` receives each split's columns. */
async function encodeDataset(
  session: DuckSession, config: DatasetConfig, groups: SourceGroup[], log: (m: string) => void,
  sinkFor: (encoder: FeatureEncoder, rows: Record<SplitName, number>) => { forSplit(split: SplitName): ColumnSink },
): Promise<{ encoder: FeatureEncoder; rows: Record<SplitName, number>; badRows: BadRow[] }> {
  const reader = readerOf(config.format, groups[0]!.files, `${config.source}: format`);
  const plans = planFields(config);
  const fields = plans.map((p) => p.state);
  const splitColumn = splitColumnOf(config.split);
  const requests = columnRequests(fields, config.label, config.extraColumns, false, splitColumn);
  log(`reading ${groups.flatMap((g) => g.files).join(', ')}`);
  const source = await Source.open(session, { reader, csv: config.csv, groups, columns: requests, onBadRow: config.onBadRow });
  const enums = await createEnums(session, source, fields);
  if (source.skipped.length > 0) log(`skipped ${source.skipped.length} rows that do not parse (first: ${source.skipped[0]!.file}:${source.skipped[0]!.line})`);
  const codes = await createCodeTable(session, source, config.split, config.label, fields, enums, config.extraColumns.length);
  const strictNumerics = plans.flatMap((p, i) => (isNumeric(p.state) && (p.spec?.kind === 'numeric' || p.spec?.kind === 'date') && p.spec.fill === null ? [{ field: i, column: p.state.column }] : []));
  const counts = await validateData(session, source, codes, {
    split: config.split, label: config.label, strictNumerics, dates: dateChecks(fields), maxScenarios: config.scenario.maxScenarios,
    scenarioColumn: config.scenario.column, labelAt: `${config.source}: label`,
  });
  const rows = { train: counts[0]!, validation: counts[1]!, test: counts[2]! };
  log(`fitting on ${rows.train} training rows`);
  const encoder = await fitEncoder(session, codes, source, config, plans, enums);
  log(`encoding ${rows.train} / ${rows.validation} / ${rows.test} rows`);
  const sink = sinkFor(encoder, rows);
  const sinks = SPLITS.map((s) => sink.forSplit(s));
  await encodeCodes(session, codes, source, encoder, enums, (i) => sinks[i]!);
  return { encoder, rows, badRows: source.skipped };
}

function reportOf(config: DatasetConfig, groups: SourceGroup[], rows: Record<SplitName, number>, badRows: BadRow[], cacheHit: boolean, entry: string | null, t0: number): PrepareReport {
  return {
    dataset: config.name, files: groups.flatMap((g) => g.files), rows, skippedRows: badRows.length, badRows: badRows.slice(0, 20),
    cacheHit, cacheEntry: entry, seconds: (performance.now() - t0) / 1000,
  };
}

/** Encodes into the on-disk cache (or finds it there) without loading the columns into memory. */
export async function prepareDatasetToStore(config: DatasetConfig, options: PrepareOptions = {}): Promise<StoredPrepared> {
  const t0 = performance.now();
  const log = options.log ?? (() => {});
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  mkdirSync(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  return withSession(options, join(cacheDir, 'duckdb-tmp'), async (session) => {
    const groups = await sourceGroups(session, config, log);
    const entry = join(cacheDir, `${config.name.replace(/[^\w.-]/g, '_')}-${cacheKey(config, groups)}`);
    const hit = openStore(entry);
    if (hit) {
      log(`cache hit: ${entry}`);
      const r = hit.meta.report as { badRows?: BadRow[]; skippedRows?: number };
      const report = { ...reportOf(config, groups, hit.meta.rows, r.badRows ?? [], true, entry, t0), skippedRows: r.skippedRows ?? 0 };
      return { fields: hit.encoder.fields, scenarios: hit.encoder.scenarios, encoder: hit.encoder, store: hit, report };
    }
    mkdirSync(tmp, { recursive: true });
    let disk: DiskSink | null = null;
    try {
      const result = await encodeDataset(session, config, groups, log, (encoder) => {
        disk = new DiskSink(tmp, storeLayout(encoder));
        return disk;
      });
      (disk as DiskSink | null)?.close();
      const report = reportOf(config, groups, result.rows, result.badRows, false, entry, t0);
      writeStoreMeta(tmp, result.encoder, {
        cacheVersion: CACHE_VERSION, key: entry, rows: result.rows, layout: storeLayout(result.encoder),
        report: { ...report, badRows: report.badRows },
      });
      commitEntry(tmp, entry);
      const store = openStore(entry);
      if (!store) throw new OptmsmError('E_DATA_ENCODER', `cannot open the cache entry just written: ${entry}`, { location: entry });
      return { fields: result.encoder.fields, scenarios: result.encoder.scenarios, encoder: store.encoder, store, report };
    } catch (e) {
      (disk as DiskSink | null)?.close();
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  });
}

/** Reads, splits, fits on train, encodes and caches a dataset; returns the encoded splits in memory. */
export async function prepareDataset(config: DatasetConfig, options: PrepareOptions = {}): Promise<PreparedDataset> {
  if (options.cache !== false) {
    const stored = await prepareDatasetToStore(config, options);
    return {
      fields: stored.fields, scenarios: stored.scenarios, encoder: stored.encoder, report: stored.report,
      train: readSplit(stored.store, 'train'), validation: readSplit(stored.store, 'validation'), test: readSplit(stored.store, 'test'),
    };
  }
  const t0 = performance.now();
  return withSession(options, undefined, async (session) => {
    const groups = await sourceGroups(session, config, options.log ?? (() => {}));
    const sinks = new Map<SplitName, MemorySink>();
    const result = await encodeDataset(session, config, groups, options.log ?? (() => {}), (encoder, rows) => {
      for (const s of SPLITS) sinks.set(s, new MemorySink(encoder.fields, encoder.state.extraColumns, rows[s]));
      return { forSplit: (s: SplitName) => sinks.get(s)! };
    });
    return {
      fields: result.encoder.fields, scenarios: result.encoder.scenarios, encoder: result.encoder,
      train: sinks.get('train')!.columns, validation: sinks.get('validation')!.columns, test: sinks.get('test')!.columns,
      report: reportOf(config, groups, result.rows, result.badRows, false, null, t0),
    };
  });
}

export interface EncodeFileOptions {
  /** A registered reader's format; default: the file's extension, else the training format. */
  format?: string;
  csv?: Partial<CsvOptions>;
  onBadRow?: 'error' | 'skip';
  threads?: number;
  /** Require the label column (evaluation); by default it is read when present. */
  requireLabel?: boolean;
}

/** Reads a raw data file (or directory/glob) and encodes it with a fitted encoder, as at training time. */
export async function encodeFile(encoder: FeatureEncoder, file: string, options: EncodeFileOptions = {}): Promise<EncodedColumns> {
  // Defaults: the format and CSV dialect the encoder was trained on.
  const trained = encoder.state.input;
  const csv: CsvOptions = { ...(trained?.csv ?? DEFAULT_CSV), ...options.csv };
  return withSession({ threads: options.threads }, undefined, async (session) => {
    const files = await expandFiles(session, [resolve(file)], options.format ?? null);
    // An explicit format wins; else the file's extension; else the training format.
    const reader = readerOf(options.format ?? formatOf(files[0]!) ?? trained?.format ?? null, files, 'format');
    const fields = encoder.state.fields;
    const requests = columnRequests(fields, encoder.labelRule, encoder.state.extraColumns, !options.requireLabel, null);
    const source = await Source.open(session, { reader, csv, groups: [{ split: null, files }], columns: requests, onBadRow: options.onBadRow ?? 'error' });
    const enums = await createEnums(session, source, fields);
    const codes = await createCodeTable(session, source, null, encoder.labelRule, fields, enums, encoder.state.extraColumns.length);
    const strictNumerics = fields.flatMap((f, i) => (isNumeric(f) && f.fill === null ? [{ field: i, column: f.column }] : []));
    const [rows] = await validateData(session, source, codes, {
      split: null, label: encoder.labelRule, strictNumerics, dates: dateChecks(fields), maxScenarios: null, scenarioColumn: encoder.state.scenario.column, labelAt: null,
    });
    const sink = new MemorySink(encoder.fields, encoder.state.extraColumns, rows!);
    await encodeCodes(session, codes, source, encoder, enums, () => sink);
    sink.columns.hasLabel = source.has(SQL.labelCell);
    return sink.columns;
  });
}
