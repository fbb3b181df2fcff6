// `optmsm bench`: every model (and ablation variant) for every seed on the same prepared data and split, then one
// table of test AUC/LogLoss overall and per scenario as mean ± std over seeds. Each run writes its own directory;
// a run whose metrics.json exists is read back instead of retrained, so a killed bench resumes where it stopped.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OptmsmError } from '../errors.js';
import type { PreparedDataset } from '../data/index.js';
import type { RunMetrics } from '../metrics/index.js';
import { getModel, resolveModelConfig } from '../models/index.js';
import { writeJsonAtomicSync } from './checkpoint-io.js';
import { parseTrainConfig, type RunConfig } from './experiment.js';
import { oracleOf } from './oracle.js';
import { renderBenchReport, REPORT_FILES, writeReport } from './report-html.js';
import { renderBenchTable, summariseBench, type BenchSummary } from './report.js';
import { readRunMetrics, RUN_FILES } from './saved-run.js';
import { loadData, runTraining } from './run.js';
import { hasCheckpoint } from './trainer.js';

export interface BenchEntry {
  model: string;
  variant?: string;
  overrides: Record<string, unknown>;
  /** Training options (as written) replacing the config's for this entry, e.g. a tuned configuration. */
  train?: unknown;
}

/** The ablations of optmsm-model.md, plus OptMSM's SSH plugged into the classic multi-task baselines. */
export function ablationEntries(numScenarios: number): BenchEntry[] {
  return [
    { model: 'optmsm', variant: 'no-orth', overrides: { lambda_orth: 0 } },
    { model: 'optmsm', variant: 'orth-representation', overrides: { orth: 'representation' } },
    { model: 'optmsm', variant: 'no-code', overrides: { scenario_code: 0 } },
    { model: 'optmsm', variant: 'condition-specific', overrides: { condition: 'specific' } },
    { model: 'optmsm', variant: 'ssh', overrides: { prediction: 'hyper' } },
    { model: 'shared-bottom', variant: 'hyper', overrides: { prediction: 'hyper' } }, // SSH on a shared bottom instead of SEL
    { model: 'mmoe', variant: 'hyper', overrides: { prediction: 'hyper' } },
    { model: 'ple', variant: 'hyper', overrides: { prediction: 'hyper' } },
    { model: 'optmsm', variant: 'combine-own', overrides: { combine: 'own' } },
    { model: 'optmsm', variant: 'combine-concat', overrides: { combine: 'concat' } },
    { model: 'optmsm', variant: 'k-2s', overrides: { num_shared: 2 * numScenarios } },
    { model: 'optmsm', variant: 'ssh-full', overrides: { prediction: 'hyper', hyper_mode: 'full' } },
    { model: 'optmsm', variant: 'ssh-scale', overrides: { prediction: 'hyper', hyper_mode: 'scale' } },
  ];
}

export interface BenchOptions {
  config: RunConfig;
  models: string[];
  seeds: number[];
  ablations: boolean;
  /** More rows after the models and ablations (named variants, tuned configurations). */
  extraEntries?: BenchEntry[];
  out: string;
  epochs?: number;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface BenchOutcome {
  summary: BenchSummary;
  /** The prepared dataset every run trained on (its test split is the rows of each run's test scores). */
  data: PreparedDataset;
  runs: RunMetrics[];
  /** Each run's report.html, relative to the bench directory (runs finished before reports existed have none). */
  reports: { label: string; seed: number; report: string }[];
  markdown: string;
  text: string;
  files: { json: string; markdown: string; html: string };
}

/** `count` seeds: the config's seeds in order, then the integers after the last one. */
export function benchSeeds(config: Pick<RunConfig, 'seeds'>, count: number): number[] {
  return Array.from({ length: count }, (_, i) => config.seeds[i] ?? config.seeds[config.seeds.length - 1] + i - config.seeds.length + 1);
}

/** Where `optmsm bench` puts its runs without --out: runs/bench/<experiment>. */
export function defaultBenchDir(config: RunConfig): string {
  return join('runs', 'bench', config.name);
}

/** Bench rows of named variants (`optmsm.no-orth: {model, config}`): the variant's name without its model prefix. */
export function variantEntries(variants: RunConfig['variants']): BenchEntry[] {
  return Object.entries(variants).map(([name, v]) => ({
    model: v.model,
    variant: name.startsWith(`${v.model}.`) ? name.slice(v.model.length + 1) : name,
    overrides: v.config,
  }));
}

/** The run config's named variants, or the built-in ablations without any. */
function ablationsOf(config: RunConfig, numScenarios: number): BenchEntry[] {
  return Object.keys(config.variants).length === 0 ? ablationEntries(numScenarios) : variantEntries(config.variants);
}

export const entryLabel = (e: Pick<BenchEntry, 'model' | 'variant'>): string => (e.variant ? `${e.model}.${e.variant}` : e.model);

/** Where trainEntries puts a run: <out>/<experiment>.<label>/seed-<n>. */
export const entryRunDir = (out: string, config: Pick<RunConfig, 'name'>, label: string, seed: number): string =>
  join(out, `${config.name}.${label}`, `seed-${seed}`);

/** The config an entry trains with: its own training options, when it has them, replace the config's. */
function entryConfig(config: RunConfig, entry: BenchEntry): RunConfig {
  if (entry.train === undefined) return config;
  return { ...config, train: parseTrainConfig(entry.train, `${config.file} (${entryLabel(entry)})`), trainRaw: entry.train };
}

export interface TrainEntriesOptions {
  config: RunConfig;
  data: PreparedDataset;
  entries: BenchEntry[];
  seeds: number[];
  /** Runs go to entryRunDir(out, config, label, seed). */
  out: string;
  epochs?: number;
  /** What the line after each run says (default: its test AUC). */
  summary?: (metrics: RunMetrics) => string;
  log?: (line: string) => void;
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Trains every entry for every seed into its own run directory on one prepared dataset. A run whose metrics.json
 * exists is read back, a run with a checkpoint resumes: what `bench`, the suite and `tune` rerun after a kill.
 */
export async function trainEntries(options: TrainEntriesOptions): Promise<{ runs: RunMetrics[]; reports: BenchOutcome['reports'] }> {
  const { config, data, entries, seeds } = options;
  const log = options.log ?? (() => {});
  const summary = options.summary ?? ((m: RunMetrics) => `test AUC ${m.test.auc?.toFixed(4) ?? 'n/a'}`);
  // Validate every model and option before the first (long) run starts.
  for (const e of entries) {
    resolveModelConfig(getModel(e.model), { ...(config.models[e.model] ?? {}), ...e.overrides });
    entryConfig(config, e);
  }
  mkdirSync(options.out, { recursive: true });
  const runs: RunMetrics[] = [];
  const reports: BenchOutcome['reports'] = [];
  for (const entry of entries) {
    for (const seed of seeds) {
      const dir = entryRunDir(options.out, config, entryLabel(entry), seed);
      const report = join(dir, REPORT_FILES.run);
      const linkReport = () => {
        if (existsSync(report)) reports.push({ label: entryLabel(entry), seed, report: relative(options.out, report) });
      };
      const metricsFile = join(dir, RUN_FILES.metrics);
      if (existsSync(metricsFile)) {
        runs.push(readRunMetrics(dir));
        log(`${entryLabel(entry)} seed ${seed}: done before, read ${metricsFile}`);
        linkReport();
        continue;
      }
      log(`${entryLabel(entry)} seed ${seed}: training`);
      const { metrics } = await runTraining({
        config: entryConfig(config, entry), model: entry.model, modelOverrides: entry.overrides, variant: entry.variant, seed, out: dir, data,
        epochs: options.epochs, resume: hasCheckpoint(dir), log, progress: options.progress,
      });
      runs.push(metrics);
      linkReport();
      log(`${entryLabel(entry)} seed ${seed}: ${summary(metrics)}`);
    }
  }
  return { runs, reports };
}

export async function runBench(options: BenchOptions): Promise<BenchOutcome> {
  const { config, seeds } = options;
  const log = options.log ?? (() => {});
  const data = await loadData(config, log);
  const entries: BenchEntry[] = options.models.map((model) => ({ model, overrides: {} }));
  if (options.ablations) entries.push(...ablationsOf(config, data.scenarios.values.length));
  entries.push(...(options.extraEntries ?? []));
  const { runs, reports } = await trainEntries({
    config, data, entries, seeds, out: options.out, epochs: options.epochs, log, progress: options.progress,
  });
  if (runs.length === 0) throw new OptmsmError('E_CLI_USAGE', 'the bench has no runs', { expected: 'at least one model and one seed' });
  const reference = entries.some((e) => e.model === 'optmsm' && !e.variant) ? 'optmsm' : entryLabel(entries[0]);
  const summary = summariseBench(runs, { reference, oracle: oracleOf(data, config.dataset.oracleColumn) });
  const markdown = renderBenchTable(summary, 'markdown');
  const files = { json: join(options.out, 'bench.json'), markdown: join(options.out, 'bench.md'), html: join(options.out, REPORT_FILES.bench) };
  writeJsonAtomicSync(files.json, { dataset: config.name, config: config.file, seeds, summary, runs });
  writeFileSync(files.markdown, `${markdown}\n`);
  writeReport(files.html, await renderBenchReport({ name: config.name, summary, seeds, runs: reports }));
  return { summary, data, runs, reports, markdown, text: renderBenchTable(summary, 'text'), files };
}
