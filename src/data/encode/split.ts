// Which split a row goes to, as a DuckDB expression over the read relation (column and time splits) or the code
// table (ratio splits, which hash the row id), and the ratio split's JavaScript twin.
import { OUTSIDE_SPLIT, SPLIT_CODE, SQL } from '../contracts.js';
import { literal } from '../duck.js';
import type { SplitSpec } from '../schema.js';

/** Golden-ratio multiplier that spreads seeds over the 32-bit hash input: seed s shifts row ids by s * this mod 2^32. */
export const RATIO_SEED_MULTIPLIER = 0x9e3779b9;
const seedOffset = (seed: number): number => Number((BigInt(seed) * BigInt(RATIO_SEED_MULTIPLIER)) % 4294967296n);

// murmur3's 32-bit finaliser, written with UBIGINT arithmetic (products of two values < 2^32 fit in 64 bits), so
// a seeded ratio split depends only on the row's id, not on DuckDB's own hash function.
export const SPLIT_MACROS = [
  `CREATE OR REPLACE MACRO optmsm_xs(x, k) AS xor(x, x >> k)`,
  `CREATE OR REPLACE MACRO optmsm_mul(x, c) AS (x * c) % 4294967296`,
  `CREATE OR REPLACE MACRO optmsm_fmix(x) AS optmsm_xs(optmsm_mul(optmsm_xs(optmsm_mul(optmsm_xs(x, 16), 2246822507::UBIGINT), 13), 3266489909::UBIGINT), 16)`,
];

/** The JavaScript twin of the ratio split (row id `row`, 0-based): 0 train, 1 validation, 2 test. */
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

/** The split code of a row; `rowId` is the SQL expression of the row's id (used by ratio splits only). */
export function splitSql(split: SplitSpec | null, rowId: string): string {
  const { train, validation, test } = SPLIT_CODE;
  if (split === null) return String(train);
  switch (split.kind) {
    case 'files':
      return SQL.group;
    case 'column': {
      const among = (values: readonly string[]) => `${SQL.splitCell} IN (${values.map(literal).join(', ')})`;
      return `CASE WHEN ${among(split.train)} THEN ${train} WHEN ${among(split.validation)} THEN ${validation} WHEN ${among(split.test)} THEN ${test} ELSE ${OUTSIDE_SPLIT} END`;
    }
    case 'ratio': {
      const [a, b] = split.ratios;
      const u = `optmsm_fmix((${rowId}::UBIGINT + ${seedOffset(split.seed)}::UBIGINT) % 4294967296) / 4294967296.0`;
      return `CASE WHEN ${u} < ${a} THEN ${train} WHEN ${u} < ${a + b} THEN ${validation} ELSE ${test} END`;
    }
    case 'time': {
      const [c1, c2] = split.cuts;
      const t = typeof c1 === 'string' || typeof c2 === 'string' ? `TRY_CAST(${SQL.splitCell} AS TIMESTAMP)` : `TRY_CAST(${SQL.splitCell} AS DOUBLE)`;
      const lit = (c: number | string): string => (typeof c === 'string' ? `TIMESTAMP ${literal(c)}` : String(c));
      return `CASE WHEN ${t} IS NULL THEN ${OUTSIDE_SPLIT} WHEN ${t} < ${lit(c1)} THEN ${train} WHEN ${t} < ${lit(c2)} THEN ${validation} ELSE ${test} END`;
    }
  }
}
