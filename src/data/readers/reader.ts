// What a reader is: everything the data room knows about one input format. Source (source.ts) asks its reader
// for the SQL that scans the files, how cells arrive (parsed by the reader or cast afterwards), which rows did not
// parse, where a row is (file:line, file#row) and what a raw cell holds (for error messages). Adding a format is
// one file implementing Reader plus `registerReader` (readers/index.ts).
import type { DuckSession } from '../duck.js';
import type { CsvOptions } from '../schema.js';

/** A row that did not parse. */
export interface BadRow {
  file: string;
  /** 1-based line (0 when the reader cannot tell). */
  line: number;
  column: string | null;
  message: string;
}

export interface ReadContext {
  session: DuckSession;
  csv: CsvOptions;
  onBadRow: 'error' | 'skip';
}

/** One input file once the first pass has counted it: `firstRid` is the row id of its first row in the whole input. */
export interface FileRows {
  path: string;
  rows: number;
  firstRid: number;
}

export interface ScanOptions {
  /** Column name → DuckDB type, for readers that parse types themselves (`parsesTypes`): DOUBLE, or an ENUM. */
  types: ReadonlyMap<string, string>;
  /** The first pass: a table-name prefix under which to record rows that do not parse; null afterwards. */
  rejects: string | null;
  /** Also return `file_row_number` (the 0-based row in its file), for readers whose codes come by join. */
  position: boolean;
}

export interface Reader {
  /** The name in `format:` and in encoder files. */
  readonly format: string;
  /** File extensions (lower case, with the dot) that select this reader and that a directory is filtered by. */
  readonly extensions: readonly string[];
  /**
   * True: the reader parses `ScanOptions.types` itself (numbers as DOUBLE, categorical columns straight into
   * ENUMs) and rejects cells that do not parse. False: cells arrive as stored and are cast (TRY_CAST).
   */
  readonly parsesTypes: boolean;
  /**
   * How categorical cells become codes. 'enum': an ENUM cast per cell, rows keep the scan order. 'join': hash
   * joins on (value, code) tables, then rows are put back in input order by `file_row_number` (cheaper for
   * columnar files, where a per-cell cast costs more than the join).
   */
  readonly codes: 'enum' | 'join';
  /** Why the file cannot be of this format (e.g. it is gzip or Parquet bytes given as CSV), or null. */
  mismatch(file: string): string | null;
  /** The file's column names. */
  header(ctx: ReadContext, file: string): Promise<string[]>;
  /** A DuckDB table function over the files, its columns named as in the files. */
  scan(ctx: ReadContext, files: readonly string[], options: ScanOptions): string;
  /** A condition that drops rows the reader turned into all-NULL rows instead of rejecting them, or null. */
  keep(ctx: ReadContext, columns: readonly string[]): string | null;
  /**
   * After the first pass: the rows that did not parse, in file and line order. `rowsPerFile` counts the rows that
   * did, by index into `files`; `columns` are the columns the schema reads.
   */
  rejected(ctx: ReadContext, rejects: string, files: readonly string[], rowsPerFile: ReadonlyMap<number, number>, columns: readonly string[]): Promise<BadRow[]>;
  /**
   * For each of `bad` (rows of `file` that did not parse, in line order), how many rows of the file that parsed
   * come before it. Needed by readers whose `rejected` can return rows (a position split counts them).
   */
  rowsBefore?(ctx: ReadContext, file: string, bad: readonly BadRow[]): Promise<number[]>;
  /** Where row `index` (0-based, among the rows that parsed) of `file` is: file:line or file#row N. */
  locate(ctx: ReadContext, file: FileRows, index: number, skipped: readonly BadRow[]): string;
  /** The raw text of one cell (error path only; it reads the file again). */
  rawCell(ctx: ReadContext, file: FileRows, index: number, column: string, header: readonly string[], skipped: readonly BadRow[]): Promise<string>;
}

/** What an error message shows for a missing cell. */
export const EMPTY_CELL = '(empty)';
