// The suite: models × worlds × seeds through the bench, ranks per world and across worlds by role, a world whose
// data is absent skipped, variants as rows, and a killed suite resumed from its finished runs. Tiny worlds, 1 epoch.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld, loadDatasetConfig, parseWorldSpec, writeWorldConfig, type WorldSpecInput } from '../../src/data/index.js';
import { delongPair, rocAuc } from '../../src/metrics/index.js';
import { aucDifferenceTest } from '../../src/train/stats.js';
import { loadData, loadRunConfig, loadSuite, loadVariants, readTestScores, runSuite, tuneSuite, type SuiteOptions } from '../../src/train/index.js';
import { repoRoot } from '../data/helpers.js';

const progress = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;

async function writeWorld(dir: string, name: string, spec: WorldSpecInput): Promise<void> {
  const parsed = parseWorldSpec(spec, name);
  const data = join(dir, 'data', `${name}.csv`);
  await generateWorld(parsed, data);
  writeWorldConfig(join(dir, `${name}.yaml`), data, { input: spec, spec: parsed, dataFile: data });
}

describe('suite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optmsm-suite-'));
  let options: SuiteOptions;
  const lines: string[] = [];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(async () => {
    await writeWorld(dir, 'alpha', { rows: 2500, seed: 1, scenarios: 3, users: { count: 200 }, items: { count: 80 } });
    await writeWorld(dir, 'beta', { rows: 2000, seed: 2, scenarios: 2, users: { count: 150 }, items: { count: 60 }, numeric: { count: 1 } });
    writeFileSync(join(dir, 'absent.yaml'), [
      'name: absent', 'files: nowhere/absent.csv', 'label: click', 'scenario: scenario',
      'split: { kind: ratio, ratios: [0.8, 0.1, 0.1] }', 'features: [{ name: user_id, kind: categorical }]', '',
    ].join('\n'));
    writeFileSync(join(dir, 'suite.yaml'), [
      'name: tiny-suite',
      'seeds: [1, 2]',
      'train: { epochs: 1, batch_size: 256, early_stopping: { patience: 1 } }',
      'models:',
      '  shared-bottom: { bottom_hidden: [8], tower_hidden: [4] }',
      '  mmoe: { expert_hidden: [4], tower_hidden: [4] }',
      'worlds:',
      '  - { config: alpha.yaml, role: tuning }',
      '  - { config: absent.yaml, role: tuning }',
      '  - { config: beta.yaml, role: test }',
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'variants.yaml'), 'variants:\n  shared-bottom.wide: { model: shared-bottom, config: { bottom_hidden: [16] } }\n');
    options = {
      suite: loadSuite(join(dir, 'suite.yaml')), models: ['shared-bottom', 'mmoe'], seeds: [1, 2], out: join(dir, 'out'),
      worlds: 'all', variants: loadVariants(join(dir, 'variants.yaml')), log: (l) => lines.push(l), progress,
    };
  });

  it('runs every row on every world, ranks them per world and across worlds by role, and skips absent data', async () => {
    const { result, markdown, files } = await runSuite(options);
    expect(result.worlds.map((w) => [w.name, w.role, w.skipped ?? null])).toEqual([
      ['alpha', 'tuning', null], ['absent', 'tuning', expect.stringMatching(/^data absent/)], ['beta', 'test', null],
    ]);
    for (const world of result.worlds.filter((w) => !w.skipped)) {
      const rows = world.tables.defaults;
      expect(rows.map((r) => r.label)).toEqual(['shared-bottom', 'mmoe', 'shared-bottom.wide']);
      expect(rows.every((r) => r.seeds === 2)).toBe(true);
      // Ranks follow the means; the plain rows of the two models take ranks 1 and 2.
      const [sb, mmoe, wide] = rows;
      for (const split of ['test', 'validation'] as const) {
        expect([sb!, mmoe!].map((r) => r[split].rank).sort()).toEqual([1, 2]);
        expect(sb![split].rank === 1).toBe(sb![split].auc! > mmoe![split].auc!);
        expect(wide![split].rank).toBe(wide![split].auc! > mmoe![split].auc! ? 1 : 2);
        expect(rows.filter((r) => r[split].best)).toHaveLength(1);
      }
      expect(sb!.test.gapToOracle).toBeCloseTo(world.oracle!.auc! - sb!.test.auc!, 12);
      const small = world.smallestScenario!;
      expect(Math.min(...Object.values(world.testRows))).toBe(world.testRows[small]);
      expect(sb!.smallestRank === 1).toBe(sb!.scenarios[small]! > mmoe!.scenarios[small]!);
      expect(Object.keys(sb!.scenarios)).toEqual(Object.keys(world.testRows));
    }
    const summary = Object.fromEntries(result.summary.defaults.map((r) => [r.label, r]));
    const alpha = result.worlds[0]!.tables.defaults;
    const beta = result.worlds[2]!.tables.defaults;
    expect(summary['mmoe']!.tuning).toMatchObject({
      worlds: 1, validationRank: alpha[1]!.validation.rank, testRank: alpha[1]!.test.rank, smallestRank: alpha[1]!.smallestRank,
    });
    expect(summary['mmoe']!.test).toMatchObject({ worlds: 1, validationRank: beta[1]!.validation.rank, testRank: beta[1]!.test.rank });
    expect(markdown).toContain('### Default options: mean rank across worlds');
    expect(markdown).toContain('absent (tuning): skipped, data absent');
    expect(readFileSync(files.html, 'utf8')).toContain('<a href="alpha/bench.html">alpha</a>');
    expect(markdown).toMatch(/\| oracle \| 0\.\d{4} \|/);
    expect(JSON.parse(readFileSync(files.json, 'utf8')).runs.alpha).toHaveLength(6);
  });

  it("tests the smallest scenario on its rows: DeLong per seed from the runs' saved test scores, combined over seeds", async () => {
    const world = options.suite.worlds[0]!;
    const { result } = await runSuite(options);
    const alpha = result.worlds[0]!;
    const data = await loadData(world.config!);
    const small = alpha.smallestScenario!;
    const k = data.scenarios.values.indexOf(small);
    const rows = [...data.test.scenario.keys()].filter((i) => data.test.scenario[i] === k);
    const label = Uint8Array.from(rows, (i) => data.test.label[i]);
    const scores = (entry: string, seed: number) => {
      const all = readTestScores(join(options.out, 'alpha', `alpha.${entry}`, `seed-${seed}`), data.test.rows)!;
      return Float32Array.from(rows, (i) => all[i]);
    };
    const [sb, mmoe] = alpha.tables.defaults;
    const [lead, trail] = sb!.scenarios[small]! >= mmoe!.scenarios[small]! ? [sb!, mmoe!] : [mmoe!, sb!];
    // The saved scores are the ones the run's metrics came from.
    const seedAucs = [1, 2].map((seed) => rocAuc(scores(trail.label, seed), label).auc!);
    expect((seedAucs[0]! + seedAucs[1]!) / 2).toBeCloseTo(trail.scenarios[small]!, 6);
    const pairs = [1, 2].map((seed) => delongPair(scores(trail.label, seed), scores(lead.label, seed), label)!);
    expect(trail.smallestPVsBest).toBeCloseTo(aucDifferenceTest(pairs)!.p!, 12);
    expect(lead.smallestPVsBest).toBeNull();
    const summary = result.summary.defaults.find((r) => r.label === trail.label)!;
    expect(summary.tuning.smallestLevel).toBe(trail.smallestPVsBest! > 0.05 ? 1 : 0);
  });

  it('resumes: finished runs are read back, and only a missing one is trained again', async () => {
    const before = JSON.parse(readFileSync(join(options.out, 'suite.json'), 'utf8'));
    lines.length = 0;
    rmSync(join(options.out, 'beta', 'beta.mmoe', 'seed-2'), { recursive: true });
    const { result } = await runSuite(options);
    expect(lines.filter((l) => l.endsWith(': training'))).toEqual(['beta: mmoe seed 2: training']);
    expect(lines.filter((l) => l.includes('done before'))).toHaveLength(11);
    // The runs read back give the same rows (the retrained one may differ in the last bits: issue 13).
    expect(result.worlds[0]!.tables).toEqual(before.worlds[0].tables);
    const shared = (rows: { label: string; test: { auc: number | null } }[]) => rows.filter((r) => r.label !== 'mmoe').map((r) => r.test.auc);
    expect(shared(result.worlds[2]!.tables.defaults)).toEqual(shared(before.worlds[2].tables.defaults));
  });

  it('with --tuned, adds a tuned row per model in a table of its own, and refuses a missing tune before training', async () => {
    const tuneDir = join(dir, 'tune');
    await expect(runSuite({ ...options, tunedDir: tuneDir })).rejects.toMatchObject({ code: 'E_RUN_NOT_FOUND' });
    const tuned = await tuneSuite({ suite: options.suite, models: options.models, trials: 2, out: tuneDir, worlds: 'all', progress });
    expect(tuned.map((t) => [t.world, t.outcomes.map((o) => o.trials.length)])).toEqual([['alpha', [2, 2]], ['beta', [2, 2]]]);
    const { result, markdown } = await runSuite({ ...options, tunedDir: tuneDir });
    for (const world of result.worlds.filter((w) => !w.skipped)) {
      expect(world.tables.tuned!.map((r) => r.label)).toEqual(['shared-bottom.tuned', 'mmoe.tuned']);
      expect(world.tables.tuned!.map((r) => r.test.rank).sort()).toEqual([1, 2]);
      // The tuned run trains with the best trial's options.
      const best = loadRunConfig(join(tuneDir, world.name, 'mmoe', 'best.yaml'));
      const run = JSON.parse(readFileSync(join(options.out, world.name, `${world.name}.mmoe.tuned`, 'seed-1', 'config.json'), 'utf8'));
      expect(run.model_config).toEqual(best.models.mmoe);
      expect(run.train_resolved.batchSize).toBe(best.train.batchSize);
    }
    expect(result.summary.tuned!.map((r) => r.label).sort()).toEqual(['mmoe.tuned', 'shared-bottom.tuned']);
    expect(markdown).toContain('## Tuned options');
  });

  it('runs only the worlds of a role', async () => {
    const { result } = await runSuite({ ...options, worlds: 'test' });
    expect(result.worlds.map((w) => w.name)).toEqual(['beta']);
    expect(result.summary.defaults.every((r) => r.tuning.worlds === 0 && r.test.worlds === 1)).toBe(true);
  });
});

describe('the committed suite (configs/suite/suite.yaml)', () => {
  const repo = repoRoot;
  const suite = loadSuite(join(repo, 'configs/suite/suite.yaml'));
  const synthetic = suite.worlds.filter((w) => w.name !== 'ml100k');

  it('has at least 8 synthetic tuning worlds plus ML-100k, and at least 3 test worlds', () => {
    expect(synthetic.filter((w) => w.role === 'tuning').length).toBeGreaterThanOrEqual(8);
    expect(suite.worlds.find((w) => w.name === 'ml100k')?.role).toBe('tuning');
    expect(suite.worlds.filter((w) => w.role === 'test').length).toBeGreaterThanOrEqual(3);
    expect(suite.seeds).toEqual([2022, 2023, 2024]);
  });

  it('trains worlds with the ML-100k protocol', () => {
    const world = synthetic[0]!.config!;
    expect(world.train).toMatchObject({ epochs: 50, batchSize: 4096, optimizer: { name: 'adam', lr: 1e-3, weightDecay: 1e-5 } });
    expect(world.train.sparseOptimizer.l2).toBe(1e-5);
    expect(world.train.earlyStopping.patience).toBe(4);
  });

  it('makes each test world differ from every tuning world in at least three knobs', () => {
    const knobs = (file: string) => {
      const w = loadDatasetConfig(file).world!;
      const sizes = w.sizes!;
      return {
        scenarios: w.scenarios, smallest: Math.round((100 * Math.min(...sizes)) / sizes.reduce((a, b) => a + b, 0)),
        specific: w.specific.join(), flip: w.tasteFlip.strength, context: w.context.length, position: w.position.strength,
        users: w.users.count, zipf: w.users.zipf, numeric: w.numeric.count, logitStd: w.logitStd, noise: w.noise,
      };
    };
    const tuning = synthetic.filter((w) => w.role === 'tuning').map((w) => knobs(w.file));
    for (const test of synthetic.filter((w) => w.role === 'test')) {
      const t = knobs(test.file);
      for (const other of tuning) {
        const differing = Object.keys(t).filter((k) => t[k as keyof typeof t] !== other[k as keyof typeof t]);
        expect(differing.length, test.name).toBeGreaterThanOrEqual(3);
      }
    }
  });
});
