// Parameterised synthetic worlds: the oracle AUC of a fixed spec matches its fixture and is exactly the AUC of the
// written true_prob column; every knob does what the spec says; specs are validated; dataset configs regenerate
// their world; the committed catalogue parses and declares exactly the world's columns.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ensureSyntheticData, generateWorld, loadDatasetConfig, parseDatasetConfig, parseWorldSpec, prepareDataset, worldColumns,
  worldFeatures, type WorldResult, type WorldSpecInput,
} from '../../src/data/index.js';
import { csvRows, fixtures, optmsmError, repoRoot, tempDir } from './helpers.js';

/** Mann-Whitney AUC with ties counted half, by brute-force ranking. */
function aucOf(scores: number[], labels: number[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  let pos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && scores[idx[j]!] === scores[idx[i]!]) j++;
    for (let k = i; k < j; k++) {
      if (labels[idx[k]!] === 1) {
        rankSumPos += (i + 1 + j) / 2;
        pos++;
      }
    }
    i = j;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * (scores.length - pos));
}

interface OracleFixture { spec: WorldSpecInput; overallOracleAuc: number; scenarios: { scenario: string; rows: number; oracleAuc: number }[] }
const fixture = JSON.parse(readFileSync(join(fixtures, 'world-oracle.json'), 'utf8')) as OracleFixture;

describe('generateWorld', () => {
  const dir = tempDir('optmsm-worlds-');
  let world: WorldResult;
  beforeAll(async () => {
    world = await generateWorld(parseWorldSpec(fixture.spec, 'world-oracle.json'), join(dir, 'w.csv'));
  });

  it('gives the oracle AUC of its fixture, overall and per scenario', () => {
    expect(world.overallOracleAuc).toBeCloseTo(fixture.overallOracleAuc, 12);
    expect(world.scenarios.map((s) => s.rows)).toEqual(fixture.scenarios.map((s) => s.rows));
    world.scenarios.forEach((s, k) => expect(s.oracleAuc).toBeCloseTo(fixture.scenarios[k]!.oracleAuc, 12));
  });

  it('reports exactly the AUC of the written true_prob against the written clicks', () => {
    const rows = csvRows(world.file);
    expect(Object.keys(rows[0]!)).toEqual(worldColumns(parseWorldSpec(fixture.spec, 'fixture')));
    const auc = (rs: typeof rows) => aucOf(rs.map((r) => Number(r.true_prob)), rs.map((r) => Number(r.click)));
    expect(world.overallOracleAuc).toBeCloseTo(auc(rows), 10);
    for (const s of world.scenarios) expect(s.oracleAuc).toBeCloseTo(auc(rows.filter((r) => r.scenario === s.scenario)), 10);
  });

  it('is deterministic for its spec, and another seed is another world', async () => {
    const again = await generateWorld(parseWorldSpec(fixture.spec, 'fixture'), join(dir, 'again.csv'));
    expect(readFileSync(again.file, 'utf8')).toBe(readFileSync(world.file, 'utf8'));
    const other = await generateWorld(parseWorldSpec({ ...fixture.spec, seed: 10 }, 'fixture'), join(dir, 'other.csv'));
    expect(readFileSync(other.file, 'utf8')).not.toBe(readFileSync(world.file, 'utf8'));
  });

  it('defines a context field only in its scenarios, and numeric features as positive values', () => {
    const rows = csvRows(world.file);
    for (const r of rows) {
      expect(r.surface === 'none').toBe(r.scenario === 's1');
      expect(Number(r.num_0)).toBeGreaterThan(0);
    }
  });

  it('follows the sizes and base CTRs it is given', async () => {
    const spec = { rows: 40_000, seed: 3, scenarios: 4, sizes: [70, 20, 8, 2], base_ctr: [0.01, 0.2, 0.05, 0.1] };
    const r = await generateWorld(parseWorldSpec(spec, 'spec'), join(dir, 'sizes.csv'));
    r.scenarios.forEach((s, k) => {
      expect(s.rows / spec.rows).toBeCloseTo(spec.sizes[k]! / 100, 1);
      expect(Math.abs(s.ctr - spec.base_ctr[k]!) / spec.base_ctr[k]!).toBeLessThan(0.3);
    });
  });

  it('without scenario-specific parts, every scenario is the shared function; with dominant ones, ignoring them costs', async () => {
    const base = { rows: 20_000, seed: 4, scenarios: 3, position: { strength: 0 } };
    const none = await generateWorld(parseWorldSpec({ ...base, specific: 0 }, 'spec'), join(dir, 'none.csv'));
    for (const s of none.scenarios) expect(s.sharedOnlyAuc).toBe(s.oracleAuc);
    const dominant = await generateWorld(parseWorldSpec({ ...base, specific: 3, taste_flip: { strength: 1, scenarios: [1] } }, 'spec'), join(dir, 'dominant.csv'));
    for (const s of dominant.scenarios) expect(s.oracleAuc! - s.sharedOnlyAuc!).toBeGreaterThan(0.1);
  });

  it('heavy-tailed ids leave many rows with rare ids', async () => {
    const spec = { rows: 20_000, seed: 5, scenarios: 2, users: { count: 50_000, zipf: 0.8 } };
    const r = await generateWorld(parseWorldSpec(spec, 'spec'), join(dir, 'tail.csv'));
    expect(r.users.rareRowShare).toBeGreaterThan(0.5);
    expect(r.users.singletonShare).toBeGreaterThan(0.5);
  });
});

describe('world specs', () => {
  it('name the field and what was expected', async () => {
    const sizes = await optmsmError(() => parseWorldSpec({ rows: 1000, scenarios: 3, sizes: [1, 2] }, 'w.yaml'));
    expect(sizes.code).toBe('E_CONFIG_INVALID');
    expect(sizes.location).toBe('w.yaml: sizes');
    expect(sizes.message).toMatch(/one value per scenario \(3\), got 2/);
    const flip = await optmsmError(() => parseWorldSpec({ rows: 1000, scenarios: 2, taste_flip: { strength: 1, scenarios: [2] } }, 'w.yaml'));
    expect(flip.location).toBe('w.yaml: taste_flip.scenarios');
    const clash = await optmsmError(() => parseWorldSpec({ rows: 1000, scenarios: 2, context: [{ name: 'hour' }] }, 'w.yaml'));
    expect(clash.message).toMatch(/column name 'hour' is taken/);
    const unknown = await optmsmError(() => parseWorldSpec({ rows: 1000, scenarios: 2, scenario_count: 3 }, 'w.yaml'));
    expect(unknown.code).toBe('E_CONFIG_UNKNOWN_KEY');
  });

  it('in a dataset config, the error names the key inside synthetic (world or built-in block)', async () => {
    const config = (synthetic: unknown) => ({ name: 'w', files: 'w.csv', label: 'click', scenario: 'scenario', synthetic,
      split: { kind: 'ratio', ratios: [0.8, 0.1, 0.1] }, features: [{ name: 'user_id', kind: 'categorical' }] });
    const world = await optmsmError(() => parseDatasetConfig(config({ world: { rows: 1000, scenarios: 99 } }), 'w.yaml', '/tmp'));
    expect(world.location).toBe('w.yaml: synthetic.world.scenarios');
    const legacy = await optmsmError(() => parseDatasetConfig(config({ rows: 'many' }), 'w.yaml', '/tmp'));
    expect(legacy.location).toBe('w.yaml: synthetic.rows');
  });
});

describe('a dataset config with synthetic.world', () => {
  it('generates its file when missing or when the spec changed, and reads it like any dataset', async () => {
    const dir = tempDir('optmsm-worlds-config-');
    const spec = { rows: 4000, seed: 2, scenarios: 2, context: [{ name: 'surface', values: 3 }] };
    const raw = (world: WorldSpecInput) => ({
      name: 'w', files: 'gen/w.csv', label: 'click', scenario: 'scenario', synthetic: { world }, extra_columns: ['true_prob'],
      split: { kind: 'ratio', ratios: [0.8, 0.1, 0.1], seed: 1 }, features: worldFeatures(parseWorldSpec(world, 'spec')),
    });
    const config = parseDatasetConfig(raw(spec), 'w.yaml', dir);
    const prepared = await prepareDataset(config, { cache: false });
    expect(prepared.train.rows + prepared.validation.rows + prepared.test.rows).toBe(4000);
    expect(prepared.fields.filter((f) => f.scope === 'specific').map((f) => f.name)).toEqual(['scenario', 'position', 'surface']);
    expect(prepared.test.extra.true_prob).toBeInstanceOf(Float64Array);
    expect(await ensureSyntheticData(config)).toBeNull();
    const changed = await ensureSyntheticData(parseDatasetConfig(raw({ ...spec, seed: 3 }), 'w.yaml', dir));
    expect(changed?.rows).toBe(4000);
  });
});

describe('the world catalogue (configs/suite/worlds)', () => {
  const dir = join(repoRoot, 'configs/suite/worlds');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('holds at least 11 worlds, each a dataset config declaring exactly its world\'s columns', () => {
    expect(files.length).toBeGreaterThanOrEqual(11);
    for (const file of files) {
      const config = loadDatasetConfig(join(dir, file));
      expect(config.world, file).not.toBeNull();
      expect(config.name).toBe(file.replace(/\.yaml$/, ''));
      const declared = config.features.map((f) => ({ name: f.name, scope: f.scope }));
      const expected = worldFeatures(config.world!).map((f) => ({ name: f.name, scope: f.scope ?? 'shared' }));
      expect(declared, file).toEqual(expected);
      expect(config.world!.rows).toBeGreaterThanOrEqual(100_000);
      expect(config.world!.rows).toBeLessThanOrEqual(200_000);
    }
  });
});
