// Which split a row goes to, as a DuckDB expression, and the JavaScript twins of the ratio splits. A ratio split
// decides each row by a hash of the row's own key, so that no other row can move it: the value of `split.key`, or
// else the row's position in the input counted before any row is skipped (docs/data.md, "Ratio split").
import { createHash } from 'node:crypto';
import { OUTSIDE_SPLIT, SPLIT_CODE, SQL } from '../contracts.js';
import { literal } from '../duck.js';
import type { SplitSpec } from '../schema.js';

/** Golden-ratio multiplier that spreads seeds over the 32-bit hash input: seed s shifts positions by s * this mod 2^32. */
export const RATIO_SEED_MULTIPLIER = 0x9e3779b9;
const seedOffset = (seed: number): number => Number((BigInt(seed) * BigInt(RATIO_SEED_MULTIPLIER)) % 4294967296n);

// murmur3's 32-bit finaliser, written with UBIGINT arithmetic (products of two values < 2^32 fit in 64 bits), so
// a position split depends only on the position, not on DuckDB's own hash function.
export const SPLIT_MACROS = [
  `CREATE OR REPLACE MACRO optmsm_xs(x, k) AS xor(x, x >> k)`,
  `CREATE OR REPLACE MACRO optmsm_mul(x, c) AS (x * c) % 4294967296`,
  `CREATE OR REPLACE MACRO optmsm_fmix(x) AS optmsm_xs(optmsm_mul(optmsm_xs(optmsm_mul(optmsm_xs(x, 16), 2246822507::UBIGINT), 13), 3266489909::UBIGINT), 16)`,
];

const bySplitPoint = (u: number, ratios: readonly [number, number, number]): 0 | 1 | 2 => (u < ratios[0] ? 0 : u < ratios[0] + ratios[1] ? 1 : 2);

/** The position split (no `key`) of the row at `position` (0-based, rows that do not parse counted): 0 train, 1 validation, 2 test. */
export function ratioSplitOf(position: number, seed: number, ratios: readonly [number, number, number]): 0 | 1 | 2 {
  let x = (position + seedOffset(seed)) % 4294967296;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return bySplitPoint(x / 4294967296, ratios);
}

/** The key split of a row whose `split.key` cell is `key` (a missing cell is ''): MD5 of "<seed>:<key>". */
export function keySplitOf(key: string, seed: number, ratios: readonly [number, number, number]): 0 | 1 | 2 {
  return bySplitPoint(createHash('md5').update(`${seed}:${key}`).digest().readUInt32BE(0) / 4294967296, ratios);
}

/** The column a split reads (into SQL.splitCell), or null. */
export function splitColumnOf(split: SplitSpec): string | null {
  return split.kind === 'column' || split.kind === 'time' ? split.column : split.kind === 'ratio' ? split.key ?? null : null;
}

/** Whether the split hashes the row's position, which is known only once the code table exists. */
export const splitsByPosition = (split: SplitSpec | null): boolean => split?.kind === 'ratio' && split.key === undefined;

/**
 * The split code of a row. `position` is the SQL expression of the row's input position (position splits only);
 * every other split reads the relation's cells.
 */
export function splitSql(split: SplitSpec | null, position: string): string {
  const { train, validation, test } = SPLIT_CODE;
  if (split === null) return String(train);
  const byPoint = (u: string, [a, b]: readonly [number, number, number]) =>
    `CASE WHEN ${u} < ${a} THEN ${train} WHEN ${u} < ${a + b} THEN ${validation} ELSE ${test} END`;
  switch (split.kind) {
    case 'files':
      return SQL.group;
    case 'column': {
      const among = (values: readonly string[]) => `${SQL.splitCell} IN (${values.map(literal).join(', ')})`;
      return `CASE WHEN ${among(split.train)} THEN ${train} WHEN ${among(split.validation)} THEN ${validation} WHEN ${among(split.test)} THEN ${test} ELSE ${OUTSIDE_SPLIT} END`;
    }
    case 'ratio': {
      if (split.key === undefined) {
        return byPoint(`optmsm_fmix((${position}::UBIGINT + ${seedOffset(split.seed)}::UBIGINT) % 4294967296) / 4294967296.0`, split.ratios);
      }
      // The first 4 bytes of the MD5 digest, big-endian (its first 8 hex digits).
      const digest = `md5(${literal(`${split.seed}:`)} || coalesce(CAST(${SQL.splitCell} AS VARCHAR), ''))`;
      return byPoint(`('0x' || left(${digest}, 8))::UBIGINT / 4294967296.0`, split.ratios);
    }
    case 'time': {
      const [c1, c2] = split.cuts;
      const t = typeof c1 === 'string' || typeof c2 === 'string' ? `TRY_CAST(${SQL.splitCell} AS TIMESTAMP)` : `TRY_CAST(${SQL.splitCell} AS DOUBLE)`;
      const lit = (c: number | string): string => (typeof c === 'string' ? `TIMESTAMP ${literal(c)}` : String(c));
      return `CASE WHEN ${t} IS NULL THEN ${OUTSIDE_SPLIT} WHEN ${t} < ${lit(c1)} THEN ${train} WHEN ${t} < ${lit(c2)} THEN ${validation} ELSE ${test} END`;
    }
  }
}
