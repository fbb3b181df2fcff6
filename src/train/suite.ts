// `optmsm suite`: models × worlds × seeds through the bench (one bench directory per world, so finished runs are
// read back and a killed suite resumes), then one table across worlds: per world each row's mean test and validation
// AUC, rank, gap to the oracle, per-scenario AUC and a paired t-test against the world's best; and each row's mean
// rank over the tuning worlds and, separately, over the test worlds. Test worlds only report: nothing is chosen there.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { readConfigFile } from '../data/index.js';
import { fromZodError, OptmsmError } from '../errors.js';
import { delongPair, type OracleAuc, type PairedAuc, type RunMetrics } from '../metrics/index.js';
import { type BenchEntry, type BenchOutcome, entryLabel, entryRunDir, runBench, variantEntries } from './bench.js';
import { writeJsonAtomicSync } from './checkpoint-io.js';
import { loadRunConfig, parseTrainConfig, type RunConfig, runConfigSchema } from './experiment.js';
import { aucDifferenceTest, mean, pairedTTest, sampleStd } from './stats.js';
import { writeReport } from './report-html.js';
import { readTestScores } from './saved-run.js';
import { renderSuiteHtml, renderSuiteMarkdown } from './suite-report.js';
import { tunedEntries, tuneModel, type TuneOutcome } from './tune.js';

export const worldRoleSchema = z.enum(['tuning', 'test']);
export type WorldRole = z.infer<typeof worldRoleSchema>;

export const suiteFileSchema = z.strictObject({
  name: z.string().min(1).default('suite'),
  seeds: z.array(z.number().int().nonnegative()).min(1).default([2022, 2023, 2024]),
  train: z.unknown().optional().describe('training options of the worlds given as dataset configs'),
  models: z.record(z.string(), z.record(z.string(), z.unknown())).default({})
    .describe('model options of the worlds given as dataset configs'),
  worlds: z
    .array(z.strictObject({
      config: z.string().min(1).describe('dataset config (trained with this file\'s train/models) or run config'),
      role: worldRoleSchema.describe('tuning: options may be chosen on its validation split; test: report only'),
    }))
    .min(1),
});

export interface SuiteWorld {
  name: string;
  role: WorldRole;
  file: string;
  /** null when the world is skipped (its data is absent, e.g. ../shared). */
  config: RunConfig | null;
  skipped?: string;
}

export interface Suite {
  file: string;
  name: string;
  seeds: number[];
  worlds: SuiteWorld[];
}

/** A data file the world needs that is not there (never for generated worlds, which are made on first use). */
function missingData(config: RunConfig): string | null {
  const d = config.dataset;
  if (d.world || d.synthetic) return null;
  const files = Array.isArray(d.files) ? d.files : [...d.files.train, ...d.files.validation, ...d.files.test];
  return files.find((f) => !/[*?[]/.test(f) && !existsSync(f)) ?? null;
}

export function loadSuite(path: string): Suite {
  const file = resolve(path);
  const parsed = suiteFileSchema.safeParse(readConfigFile(file));
  if (!parsed.success) throw fromZodError(parsed.error, { file, knownKeys: Object.keys(suiteFileSchema.shape).join(', ') });
  const suite = parsed.data;
  parseTrainConfig(suite.train, file); // a bad training block fails here, naming the suite file
  const names = new Set<string>();
  const worlds = suite.worlds.map((w, k): SuiteWorld => {
    const worldFile = isAbsolute(w.config) ? w.config : resolve(dirname(file), w.config);
    const config = loadRunConfig(worldFile, { train: suite.train, models: suite.models });
    if (names.has(config.name)) {
      throw new OptmsmError('E_CONFIG_INVALID', `${file}: two worlds are named '${config.name}'`, {
        location: `${file}: worlds.${k}.config`, expected: 'worlds with distinct dataset (or experiment) names',
      });
    }
    names.add(config.name);
    const missing = missingData(config);
    return missing
      ? { name: config.name, role: w.role, file: worldFile, config: null, skipped: `data absent (${missing})` }
      : { name: config.name, role: w.role, file: worldFile, config };
  });
  return { file, name: suite.name, seeds: suite.seeds, worlds };
}

const variantsFileSchema = z.strictObject({ variants: runConfigSchema.shape.variants });

/** Named variants from a file holding a `variants:` block (the run config's form: `optmsm.no-orth: {model, config}`). */
export function loadVariants(path: string): BenchEntry[] {
  const file = resolve(path);
  const parsed = variantsFileSchema.safeParse(readConfigFile(file));
  if (!parsed.success) throw fromZodError(parsed.error, { file, knownKeys: 'variants' });
  return variantEntries(parsed.data.variants);
}

// ---------------------------------------------------------------- the tables

/** One row of a world's table: a model, a variant or a tuned configuration, over the suite's seeds. */
export interface SuiteRow {
  label: string;
  model: string;
  variant?: string;
  seeds: number;
  /** `best`: the world's best plain row on the split (the one the p-values compare against). */
  test: { auc: number | null; std: number | null; rank: number | null; best: boolean; pVsBest: number | null; gapToOracle: number | null };
  validation: { auc: number | null; std: number | null; rank: number | null; best: boolean; pVsBest: number | null };
  /** Mean test AUC per scenario. */
  scenarios: Record<string, number | null>;
  /** Rank of the mean test AUC in the world's smallest scenario (fewest test rows), as the other ranks. */
  smallestRank: number | null;
  /**
   * The smallest scenario against its best plain row (by mean test AUC there): the two-sided p of the AUC difference
   * with the rows' sampling (DeLong, per seed) and the seeds' spread together, docs/suite.md. Null for the best
   * row itself, or when a run kept no test scores.
   */
  smallestPVsBest: number | null;
  bestEpoch: number | null;
}

export interface SuiteWorldResult {
  name: string;
  role: WorldRole;
  skipped?: string;
  oracle?: OracleAuc;
  /** Test rows per scenario, and the one with the fewest. */
  testRows: Record<string, number>;
  smallestScenario: string | null;
  /** Rows with the suite's default options (models and named variants), and with tuned options when asked. */
  tables: { defaults: SuiteRow[]; tuned?: SuiteRow[] };
}

export interface RoleSummary {
  validationRank: number | null;
  testRank: number | null;
  /** Mean rank in each world's smallest scenario (test). */
  smallestRank: number | null;
  worlds: number;
  firstOrTied: number;
  /** Worlds whose smallest scenario the row leads, or trails not significantly (smallestPVsBest > 0.05). */
  smallestLevel: number;
}

export interface SuiteSummaryRow {
  label: string;
  /** Mean ranks over the worlds of a role that ran (validation ranks choose; test ranks report). */
  tuning: RoleSummary;
  test: RoleSummary;
}

export interface SuiteResult {
  suite: string;
  file: string;
  seeds: number[];
  worlds: SuiteWorldResult[];
  summary: { defaults: SuiteSummaryRow[]; tuned?: SuiteSummaryRow[] };
}

const runLabel = (r: RunMetrics) => entryLabel({ model: r.model, variant: r.variant });
const SIGNIFICANCE = 0.05;

/**
 * Each row's rank among the field: the plain rows (one per model). A variant is ranked against the other models'
 * plain rows, so that it tells where the variant would stand in place of its model. Ties share the mean rank.
 */
function ranks(rows: { label: string; model: string; plain: boolean; value: number | null }[]): Map<string, number | null> {
  const field = rows.filter((r) => r.plain && r.value !== null);
  return new Map(rows.map((r) => {
    if (r.value === null) return [r.label, null];
    const others = field.filter((f) => f.model !== r.model);
    const better = others.filter((f) => (f.value as number) > (r.value as number)).length;
    const ties = others.filter((f) => f.value === r.value).length;
    return [r.label, 1 + better + ties / 2];
  }));
}

type Split = 'test' | 'validation';

/** p of the difference between two rows' AUC on the smallest scenario's test rows; null when it cannot be formed. */
type SmallestTest = (label: string, against: string) => number | null;

function tableOf(
  runs: RunMetrics[], labels: string[], plain: (label: string) => boolean, oracle: OracleAuc | undefined, smallest: string | null,
  smallestTest: SmallestTest,
): SuiteRow[] {
  const byLabel = new Map(labels.map((l) => [l, runs.filter((r) => runLabel(r) === l)]));
  const scenarioMean = (label: string, s: string) => mean((byLabel.get(label) ?? []).flatMap((r) => (r.test.scenarios[s]?.auc == null ? [] : [r.test.scenarios[s]!.auc!])));
  const smallestInfo = labels.map((label) => ({
    label, model: byLabel.get(label)?.[0]?.model ?? label, plain: plain(label), value: smallest === null ? null : scenarioMean(label, smallest),
  }));
  const smallestRanks = ranks(smallestInfo);
  const smallestBest = smallestInfo.filter((r) => r.plain && r.value !== null).sort((a, b) => (b.value as number) - (a.value as number))[0]?.label;
  const aucs = (label: string, split: Split) => new Map((byLabel.get(label) ?? []).flatMap((r) => (r[split].auc === null ? [] : [[r.seed, r[split].auc] as const])));
  const meanOf = (label: string, split: Split) => mean([...aucs(label, split).values()]);
  const rowInfo = (split: Split) => labels.map((label) => ({ label, model: byLabel.get(label)?.[0]?.model ?? label, plain: plain(label), value: meanOf(label, split) }));
  const rank = { test: ranks(rowInfo('test')), validation: ranks(rowInfo('validation')) };
  // The best plain row by mean; every other row gets a paired t-test against it over shared seeds.
  const best = (split: Split) => rowInfo(split).filter((r) => r.plain && r.value !== null).sort((a, b) => (b.value as number) - (a.value as number))[0]?.label;
  const pVs = (label: string, split: Split): number | null => {
    const top = best(split);
    if (!top || top === label) return null;
    const mine = aucs(label, split);
    const theirs = aucs(top, split);
    const seeds = [...mine.keys()].filter((s) => theirs.has(s)).sort((a, b) => a - b);
    return pairedTTest(seeds.map((s) => mine.get(s) as number), seeds.map((s) => theirs.get(s) as number)).p;
  };
  return labels.map((label): SuiteRow => {
    const group = byLabel.get(label) ?? [];
    const first = group[0]!;
    const test = meanOf(label, 'test');
    const scenarios = [...new Set(group.flatMap((r) => Object.keys(r.test.scenarios)))];
    return {
      label,
      model: first.model,
      ...(first.variant ? { variant: first.variant } : {}),
      seeds: group.length,
      test: {
        auc: test, std: sampleStd([...aucs(label, 'test').values()]), rank: rank.test.get(label) ?? null, best: best('test') === label,
        pVsBest: pVs(label, 'test'),
        gapToOracle: oracle?.auc != null && test !== null ? oracle.auc - test : null,
      },
      validation: {
        auc: meanOf(label, 'validation'), std: sampleStd([...aucs(label, 'validation').values()]),
        rank: rank.validation.get(label) ?? null, best: best('validation') === label, pVsBest: pVs(label, 'validation'),
      },
      scenarios: Object.fromEntries(scenarios.map((s) => [s, scenarioMean(label, s)])),
      smallestRank: smallestRanks.get(label) ?? null,
      smallestPVsBest: smallestBest === undefined || smallestBest === label ? null : smallestTest(label, smallestBest),
      bestEpoch: mean(group.map((r) => r.best_epoch)),
    };
  });
}

/** First on a world's test split, or not significantly below its best (paired p > 0.05, or no test possible). */
const firstOrTied = (row: SuiteRow) => row.test.rank === 1 || (row.test.auc !== null && (row.test.pVsBest === null || row.test.pVsBest > SIGNIFICANCE));

/** Best in the smallest scenario, or below its best but not significantly on the rows and seeds (p > 0.05). */
const smallestLevel = (row: SuiteRow) => row.smallestRank === 1 || (row.smallestPVsBest !== null && row.smallestPVsBest > SIGNIFICANCE);

function summarise(worlds: SuiteWorldResult[], table: 'defaults' | 'tuned'): SuiteSummaryRow[] {
  const labels = [...new Set(worlds.flatMap((w) => (w.tables[table] ?? []).map((r) => r.label)))];
  const over = (label: string, role: WorldRole) => {
    const rows = worlds.filter((w) => w.role === role && !w.skipped).flatMap((w) => (w.tables[table] ?? []).filter((r) => r.label === label));
    const ranksOf = (pick: (r: SuiteRow) => number | null) => mean(rows.flatMap((r) => (pick(r) === null ? [] : [pick(r) as number])));
    return {
      validationRank: ranksOf((r) => r.validation.rank), testRank: ranksOf((r) => r.test.rank), smallestRank: ranksOf((r) => r.smallestRank),
      worlds: rows.length,
      firstOrTied: rows.filter(firstOrTied).length,
      smallestLevel: rows.filter(smallestLevel).length,
    };
  };
  return labels
    .map((label) => ({ label, tuning: over(label, 'tuning'), test: over(label, 'test') }))
    .sort((a, b) => (a.tuning.validationRank ?? Infinity) - (b.tuning.validationRank ?? Infinity));
}

// ---------------------------------------------------------------- running it

/**
 * The paired test on the smallest scenario's test rows: per shared seed, DeLong's variance of the two runs' AUC
 * difference from their saved test scores, combined over seeds (aucDifferenceTest).
 */
function smallestScenarioTest(
  outcome: BenchOutcome, config: RunConfig, suiteOut: string, world: string, seeds: number[], smallest: string | null,
): SmallestTest {
  const test = outcome.data.test;
  const k = smallest === null ? -1 : outcome.data.scenarios.values.indexOf(smallest);
  const rows: number[] = [];
  for (let i = 0; i < test.rows; i++) if (test.scenario[i] === k) rows.push(i);
  const label = Uint8Array.from(rows, (i) => test.label[i]);
  const cache = new Map<string, Float32Array | null>();
  const scores = (entry: string, seed: number) => {
    const key = `${entry}\0${seed}`;
    if (!cache.has(key)) {
      const all = readTestScores(entryRunDir(join(suiteOut, world), config, entry, seed), test.rows);
      cache.set(key, all && Float32Array.from(rows, (i) => all[i]));
    }
    return cache.get(key)!;
  };
  return (a, b) => {
    if (rows.length === 0) return null;
    const pairs: PairedAuc[] = [];
    for (const seed of seeds) {
      const [sa, sb] = [scores(a, seed), scores(b, seed)];
      if (!sa || !sb) return null;
      const pair = delongPair(sa, sb, label);
      if (!pair) return null;
      pairs.push(pair);
    }
    return aucDifferenceTest(pairs)?.p ?? null;
  };
}

const selectWorlds = (suite: Suite, role: WorldRole | 'all') => suite.worlds.filter((w) => role === 'all' || w.role === role);

export interface SuiteOptions {
  suite: Suite;
  models: string[];
  seeds: number[];
  out: string;
  /** Which worlds run: tuning, test or all. */
  worlds: WorldRole | 'all';
  variants?: BenchEntry[];
  /** A suite tune directory (`optmsm tune --suite`): adds a tuned row per model from <dir>/<world>/<model>/best.yaml. */
  tunedDir?: string;
  epochs?: number;
  /** The command line, written into suite.md. */
  command?: string;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface SuiteOutcome {
  result: SuiteResult;
  markdown: string;
  files: { json: string; markdown: string; html: string };
}

export async function runSuite(options: SuiteOptions): Promise<SuiteOutcome> {
  const log = options.log ?? (() => {});
  const variants = options.variants ?? [];
  const selected = selectWorlds(options.suite, options.worlds);
  // Every tuned configuration must exist before the first run: a tuned table missing a model is no comparison.
  const tuned = new Map(selected.flatMap((w) => (w.config && options.tunedDir ? [[w.name, tunedEntries(join(options.tunedDir, w.name), options.models)]] : [])));
  const worlds: SuiteWorldResult[] = [];
  const allRuns: Record<string, RunMetrics[]> = {};
  for (const world of selected) {
    if (!world.config) {
      log(`${world.name}: skipped, ${world.skipped}`);
      worlds.push({ name: world.name, role: world.role, skipped: world.skipped, testRows: {}, smallestScenario: null, tables: { defaults: [] } });
      continue;
    }
    const tunedRows = tuned.get(world.name) ?? [];
    log(`${world.name} (${world.role}): ${options.models.length} models, ${variants.length} variants${tunedRows.length ? ', tuned' : ''} × ${options.seeds.length} seeds`);
    const outcome = await runBench({
      config: world.config, models: options.models, seeds: options.seeds, ablations: false, extraEntries: [...variants, ...tunedRows],
      out: join(options.out, world.name), epochs: options.epochs, log: (line) => log(`${world.name}: ${line}`), progress: options.progress,
    });
    allRuns[world.name] = outcome.runs;
    const oracle = outcome.summary.oracle;
    const testRows = Object.fromEntries(Object.entries(outcome.runs[0]!.test.scenarios).map(([s, m]) => [s, m.rows]));
    const smallest = Object.entries(testRows).sort((a, b) => a[1] - b[1])[0]?.[0] ?? null;
    const smallestTest = smallestScenarioTest(outcome, world.config, options.out, world.name, options.seeds, smallest);
    const defaultLabels = [...options.models, ...variants.map(entryLabel)];
    const isPlain = (label: string) => options.models.includes(label);
    const result: SuiteWorldResult = {
      name: world.name, role: world.role, ...(oracle ? { oracle } : {}), testRows, smallestScenario: smallest,
      tables: { defaults: tableOf(outcome.runs, defaultLabels, isPlain, oracle, smallest, smallestTest) },
    };
    if (tunedRows.length > 0) result.tables.tuned = tableOf(outcome.runs, tunedRows.map(entryLabel), () => true, oracle, smallest, smallestTest);
    worlds.push(result);
  }
  if (worlds.every((w) => w.skipped)) {
    throw new OptmsmError('E_CLI_USAGE', 'the suite ran no world', { expected: 'at least one world whose data is present', found: worlds.map((w) => `${w.name}: ${w.skipped}`).join('; ') });
  }
  const result: SuiteResult = {
    suite: options.suite.name, file: options.suite.file, seeds: options.seeds, worlds,
    summary: { defaults: summarise(worlds, 'defaults'), ...(options.tunedDir ? { tuned: summarise(worlds, 'tuned') } : {}) },
  };
  const markdown = renderSuiteMarkdown(result, options.command);
  const files = { json: join(options.out, 'suite.json'), markdown: join(options.out, 'suite.md'), html: join(options.out, 'suite.html') };
  writeJsonAtomicSync(files.json, { ...result, runs: allRuns });
  writeFileSync(files.markdown, markdown);
  writeReport(files.html, renderSuiteHtml(result, options.command));
  return { result, markdown, files };
}

export interface SuiteTuneOptions {
  suite: Suite;
  models: string[];
  trials: number;
  out: string;
  worlds: WorldRole | 'all';
  seed?: number;
  epochs?: number;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * `optmsm tune --suite`: every model tuned on every selected world (its validation split) with the same budget,
 * into <out>/<world>/<model>/ — the directory `optmsm suite --tuned` reads.
 */
export async function tuneSuite(options: SuiteTuneOptions): Promise<{ world: string; outcomes: TuneOutcome[] }[]> {
  const log = options.log ?? (() => {});
  const done: { world: string; outcomes: TuneOutcome[] }[] = [];
  for (const world of selectWorlds(options.suite, options.worlds)) {
    if (!world.config) {
      log(`${world.name}: skipped, ${world.skipped}`);
      continue;
    }
    const outcomes: TuneOutcome[] = [];
    for (const model of options.models) {
      outcomes.push(await tuneModel({
        config: world.config, model, trials: options.trials, seed: options.seed ?? options.suite.seeds[0], epochs: options.epochs,
        out: join(options.out, world.name, model), log: (line) => log(`${world.name}: ${line}`), progress: options.progress,
      }));
    }
    done.push({ world: world.name, outcomes });
  }
  return done;
}
