// The synthetic generator: deterministic, streamed, unequal scenarios, and an oracle AUC that is exactly the AUC
// of the written true_prob column against the written clicks.
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSyntheticData, generateSynthetic, loadDatasetConfig, parseDatasetConfig, prepareDataset, SYNTHETIC_COLUMNS, type SyntheticResult } from '../../src/data/index.js';
import { OptmsmError } from '../../src/errors.js';
import { csvRows, repoRoot, tempDir } from './helpers.js';

/** Mann-Whitney AUC with ties counted half, by brute-force ranking. */
function aucOf(scores: number[], labels: number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && scores[idx[j]!] === scores[idx[i]!]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (labels[idx[k]!] === 1) {
      rankSumPos += avgRank;
      pos++;
    }
    i = j;
  }
  const neg = scores.length - pos;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

describe('generateSynthetic', () => {
  const dir = tempDir();
  let a: SyntheticResult;
  beforeAll(async () => {
    a = await generateSynthetic({ output: join(dir, 'a.csv'), rows: 60_000, seed: 7 });
  });

  it('is deterministic for a seed, and a longer file extends a shorter one', async () => {
    const b = await generateSynthetic({ output: join(dir, 'b.csv'), rows: 60_000, seed: 7 });
    expect(readFileSync(b.file, 'utf8')).toBe(readFileSync(a.file, 'utf8'));
    const c = await generateSynthetic({ output: join(dir, 'c.csv'), rows: 1_000, seed: 8 });
    expect(readFileSync(c.file, 'utf8').slice(0, 2000)).not.toBe(readFileSync(a.file, 'utf8').slice(0, 2000));
    const short = await generateSynthetic({ output: join(dir, 'short.csv'), rows: 1_000, seed: 7 });
    expect(readFileSync(a.file, 'utf8').startsWith(readFileSync(short.file, 'utf8'))).toBe(true);
  });

  it('writes the documented columns and a sidecar with the oracle AUC per scenario', () => {
    expect(readFileSync(a.file, 'utf8').split('\n', 1)[0]).toBe(SYNTHETIC_COLUMNS.join(','));
    const sidecar = JSON.parse(readFileSync(a.sidecar, 'utf8')) as { scenarios: { scenario: string; oracleAuc: number }[] };
    expect(a.sidecar).toBe(`${a.file}.oracle.json`);
    expect(sidecar.scenarios.map((s) => s.scenario)).toEqual(['s0', 's1', 's2', 's3']);
    for (const s of a.scenarios) {
      expect(s.oracleAuc).toBeGreaterThan(0.74);
      expect(s.oracleAuc).toBeLessThan(0.88);
      // Scenario-specific effects matter: ignoring them loses a lot.
      expect(s.oracleAuc! - s.sharedOnlyAuc!).toBeGreaterThan(0.05);
    }
  });

  it('has scenarios of unequal size and base CTR', () => {
    const sizes = a.scenarios.map((s) => s.rows);
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(60_000);
    expect(sizes[0]!).toBeGreaterThan(2 * sizes[3]!);
    const ctrs = a.scenarios.map((s) => s.ctr);
    expect(Math.max(...ctrs) / Math.min(...ctrs)).toBeGreaterThan(2);
  });

  it('reports exactly the AUC of the written true_prob against the written clicks', () => {
    const rows = csvRows(a.file);
    for (const s of a.scenarios) {
      const mine = rows.filter((r) => r.scenario === s.scenario);
      expect(s.oracleAuc).toBeCloseTo(aucOf(mine.map((r) => Number(r.true_prob)), mine.map((r) => Number(r.click))), 10);
    }
  });

  it('writes Parquet with the same rows as CSV', async () => {
    const pq = await generateSynthetic({ output: join(dir, 'a.parquet'), rows: 60_000, seed: 7 });
    expect(pq.scenarios).toEqual(a.scenarios);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const cols = SYNTHETIC_COLUMNS.map((c) => (c === 'true_prob' ? 'true_prob::DOUBLE' : `${c}::VARCHAR`)).join(', ');
    const diff = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM (
      SELECT ${cols} FROM read_csv('${a.file}', all_varchar = true) EXCEPT SELECT ${cols} FROM read_parquet('${pq.file}'))`);
    expect(diff.getRowObjectsJS()[0]!.n).toBe(0);
    conn.closeSync();
    db.closeSync();
  });

  it('rejects nonsense options', async () => {
    await expect(generateSynthetic({ output: join(dir, 'x.csv'), rows: 0 })).rejects.toBeInstanceOf(OptmsmError);
    await expect(generateSynthetic({ output: join(dir, 'x.csv'), rows: 10, scenarios: 2.5 })).rejects.toThrow(/scenarios/);
  });
});

describe('the synthetic dataset config', () => {
  it('configs/datasets/synthetic.yaml parses and regenerates its file when missing', async () => {
    const config = loadDatasetConfig(join(repoRoot, 'configs/datasets/synthetic.yaml'));
    expect(config.synthetic).toMatchObject({ rows: 200_000, scenarios: 4 });
    expect(config.features.find((f) => f.name === 'slot')?.scope).toBe('specific');
    const dir = tempDir();
    const small = parseDatasetConfig({
      ...JSON.parse(JSON.stringify({ name: 'synthetic', label: 'click', scenario: 'scenario', extra_columns: ['true_prob'] })),
      files: 'gen/small.csv', synthetic: { rows: 5_000, seed: 3 },
      split: { kind: 'ratio', ratios: [0.8, 0.1, 0.1], seed: 1 },
      features: [{ name: 'item_id', kind: 'categorical' }, { name: 'slot', kind: 'categorical', scope: 'specific' }],
    }, 'small.yaml', dir);
    // prepareDataset generates the missing file itself (what `npm start` relies on) …
    const p = await prepareDataset(small, { cache: false });
    expect(existsSync(join(dir, 'gen/small.csv'))).toBe(true);
    expect(existsSync(join(dir, 'gen/small.csv.oracle.json'))).toBe(true);
    // … and ensureSyntheticData does nothing once it exists.
    expect(await ensureSyntheticData(small)).toBeNull();
    expect(p.train.rows + p.validation.rows + p.test.rows).toBe(5_000);
    expect(p.train.extra.true_prob).toBeInstanceOf(Float64Array);
    expect(p.fields.find((f) => f.name === 'slot')?.scope).toBe('specific');
  });
});
