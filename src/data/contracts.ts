// The contracts between the data room's modules, named once: the id space every embedded field shares, the field
// order (field 0 is the scenario), the split codes, and the SQL aliases one DuckDB pass writes and the next reads.
import type { SplitName } from './schema.js';

/** Id 0 pads multi-valued cells (and the embedding row stays zero); id 1 is out-of-vocabulary. */
export const PAD_ID = 0;
export const OOV_ID = 1;
/** Ids below this are reserved in every id space: value index i (vocabulary, hash or quantile bucket, scenario) gets id i + RESERVED_IDS. */
export const RESERVED_IDS = 2;
export const idOf = (valueIndex: number): number => valueIndex + RESERVED_IDS;
/** Embedding-table rows for `values` distinct values: the reserved ids plus one per value. */
export const tableRows = (values: number): number => values + RESERVED_IDS;

/**
 * The encoder's fields are the scenario field first, then the config's features in order (a date feature gives
 * one field per part): field SCENARIO_FIELD is always the scenario, a categorical field of scope `specific`.
 */
export const SCENARIO_FIELD = 0;

/** Split codes in the code table: the index in SPLITS, and OUTSIDE_SPLIT for a value that names no split. */
export const SPLIT_CODE: Readonly<Record<SplitName, number>> = { train: 0, validation: 1, test: 2 };
export const OUTSIDE_SPLIT = 3;

/** Columns of the read relation and the code table that are not per field. */
export const SQL = {
  /** Which file group (split, for files given per split) a row comes from. */
  group: '__g',
  /** The row's file, as an index into the source's file list. */
  file: '__f',
  /** The row's position in the whole input (readers that put rows back in order by a join). */
  position: '__pos',
  /** The row id in the code table: the position of the row in the input, counted after rows that do not parse. */
  rowId: '__rid',
  /** The row's position in the input counting the rows that do not parse, which a ratio split hashes. */
  inputPosition: '__inpos',
  splitCode: '__split',
  labelCode: '__label',
  labelCell: 's_label',
  splitCell: 's_split',
} as const;

/** Field i's raw cell in the read relation (the scenario is field 0: `cellAlias(SCENARIO_FIELD)`). */
export const cellAlias = (field: number): string => `c${field}`;
/** Field i's code (the index of its value among the distinct values) in the code table. */
export const codeAlias = (field: number): string => `k${field}`;
/** The code of token `token` (1-based) of multi field i. */
export const tokenCodeAlias = (field: number, token: number): string => `k${field}_${token}`;
/** The distinct values of field i, from the first pass. */
export const distinctAlias = (field: number): string => `l${field}`;
/** The key and time cells of sequence field i's derived history, in the read relation and the code table. */
export const historyKeyAlias = (field: number): string => `h${field}_key`;
export const historyTimeAlias = (field: number): string => `h${field}_time`;
/** extra_columns[j] in both relations. */
export const extraAlias = (j: number): string => `x${j}`;
