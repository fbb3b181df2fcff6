// What the synthetic generators (synthetic.ts: the built-in dataset; worlds.ts: parameterised worlds) share:
// seeded samplers, the marginal click probability under unobserved logit noise, the exact streaming AUC of the
// written probabilities, and the streamed CSV/Parquet writer that leaves no half-written file behind.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckSession, literal } from './duck.js';

export function gaussian(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

/** Cumulative distribution for sampling index k with probability ∝ 1 / (k + 1)^alpha. */
export function zipfCdf(n: number, alpha: number): Float64Array {
  const cdf = new Float64Array(n);
  let s = 0;
  for (let k = 0; k < n; k++) cdf[k] = s += 1 / Math.pow(k + 1, alpha);
  for (let k = 0; k < n; k++) cdf[k]! /= s;
  return cdf;
}

/** Cumulative distribution of the (not necessarily normalised) weights. */
export function weightsCdf(weights: readonly number[]): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0);
  let s = 0;
  return Float64Array.from(weights, (w) => (s += w) / total);
}

export function sampleCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function shuffled(n: number, rand: () => number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

// Gauss-Hermite nodes/weights (probabilists', 8 points) to marginalise Gaussian logit noise exactly enough.
const GH_NODES = [-4.1445471861258945, -2.802485861287542, -1.6365190424351077, -0.5390798113513751, 0.5390798113513751, 1.6365190424351077, 2.802485861287542, 4.1445471861258945];
const GH_WEIGHTS = [0.00003701861797003, 0.0026759832186727, 0.0517188768434689, 0.4439290024214015, 0.4439290024214015, 0.0517188768434689, 0.0026759832186727, 0.00003701861797003];

/** P(click) = E_ε[σ(z + ε)] with the unobserved N(0, noise²) logit noise integrated out. */
export function marginal(z: number, noise: number): number {
  let p = 0;
  for (let g = 0; g < GH_NODES.length; g++) p += GH_WEIGHTS[g]! * sigmoid(z + noise * GH_NODES[g]!);
  return p;
}

/** The intercept b with mean_x marginal(b + x) = target (bisection; the mean is increasing in b). */
export function interceptFor(logits: Float64Array, target: number, noise: number): number {
  let lo = -20;
  let hi = 20;
  for (let it = 0; it < 50; it++) {
    const b = (lo + hi) / 2;
    let m = 0;
    for (const x of logits) m += marginal(b + x, noise);
    if (m / logits.length < target) lo = b;
    else hi = b;
  }
  return (lo + hi) / 2;
}

// true_prob is written with 5 decimals: 1e5 + 1 bins then give the exact AUC of the written values by counting,
// in constant memory (0.8 MB per counter) whatever the row count.
export const PROB_BINS = 100_000;

/** Positive and negative counts per written probability: the exact AUC (ties counted half) of what was written. */
export class AucCounter {
  readonly pos = new Uint32Array(PROB_BINS + 1);
  readonly neg = new Uint32Array(PROB_BINS + 1);

  add(bin: number, click: number): void {
    (click ? this.pos : this.neg)[bin]!++;
  }

  auc(): number | null {
    let p = 0;
    let n = 0;
    for (let b = 0; b < this.pos.length; b++) {
      p += this.pos[b]!;
      n += this.neg[b]!;
    }
    if (p === 0 || n === 0) return null;
    let negBelow = 0;
    let num = 0;
    for (let b = 0; b < this.pos.length; b++) {
      num += this.pos[b]! * (negBelow + 0.5 * this.neg[b]!);
      negBelow += this.neg[b]!;
    }
    return num / (p * n);
  }
}

/** The written probability's bin: true_prob is the bin / PROB_BINS, and the click is drawn from it. */
export const probabilityBin = (p: number): number => Math.round(p * PROB_BINS);

export interface GeneratedFile {
  /** Final path (.csv or .parquet). */
  file: string;
  format: 'csv' | 'parquet';
  header: readonly string[];
  /** DuckDB types of the non-text columns, for the Parquet copy (every other column stays VARCHAR). */
  types: Record<string, 'INTEGER' | 'BIGINT' | 'DOUBLE'>;
}

const BLOCK_ROWS = 50_000;

/**
 * Streams `rows` lines (`line(r)` for r = 0..rows-1, in order) to the file in blocks of 50,000, to a temporary name
 * renamed into place at the end; Parquet goes through DuckDB `COPY` from a temporary CSV. Memory does not grow
 * with the row count.
 */
export async function writeGeneratedRows(
  target: GeneratedFile,
  rows: number,
  line: (r: number) => string,
  onProgress?: (rowsWritten: number) => void,
): Promise<void> {
  const { file, format } = target;
  mkdirSync(dirname(file), { recursive: true });
  const csvPath = format === 'csv' ? `${file}.partial-${process.pid}` : `${file}.tmp-${process.pid}.csv`;
  const fd = openSync(csvPath, 'w');
  try {
    writeSync(fd, `${target.header.join(',')}\n`);
    for (let start = 0; start < rows; start += BLOCK_ROWS) {
      const end = Math.min(rows, start + BLOCK_ROWS);
      const lines: string[] = new Array(end - start);
      for (let r = start; r < end; r++) lines[r - start] = line(r);
      writeSync(fd, `${lines.join('\n')}\n`);
      if (onProgress && Math.floor(end / 1_000_000) > Math.floor(start / 1_000_000)) onProgress(end);
    }
  } finally {
    closeSync(fd);
  }
  if (format === 'parquet') {
    // One thread: a parallel ordered COPY buffers row groups and its memory grows with the file; a single
    // thread streams CSV → Parquet in constant memory at about the same speed.
    const session = await DuckSession.open({ threads: 1, memoryLimit: '512MB' });
    try {
      const types = `{${Object.entries(target.types).map(([k, v]) => `${literal(k)}: '${v}'`).join(', ')}}`;
      await session.run(`COPY (SELECT * FROM read_csv(${literal(csvPath)}, header = true, delim = ',', all_varchar = true, types = ${types})) TO ${literal(`${file}.partial-${process.pid}`)} (FORMAT parquet, COMPRESSION zstd)`);
    } finally {
      session.close();
      rmSync(csvPath, { force: true });
    }
  }
  renameSync(`${file}.partial-${process.pid}`, file);
}
