// The HTML reports: report.html in every run directory, bench.html beside bench.json. One self-contained file
// each (inline CSS and SVG, no script, no network), so it opens from disk, mails, and archives as it is. A report
// is a list of sections; a run's, a bench's, or both (npm start) make a page, and other commands (the suite)
// compose their own from the same sections.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunMetrics, SplitMetrics } from '../metrics/index.js';
import { writeFileAtomicSync } from './checkpoint-io.js';
import { readJsonl } from './jsonl-log.js';
import {
  benchAucSpec, costSpec, deltaSpec, type EpochPoint, learningCurvesSpec, reliabilitySpec, renderSvg, scenarioAucSpec,
  type ScenarioAuc,
} from './report-charts.js';
import { type BenchSummary, escapeHtml, renderBenchTable, renderScenarioTable } from './report.js';
import { readRunMetrics, RUN_FILES } from './saved-run.js';

export const REPORT_FILES = { run: 'report.html', bench: 'bench.html' } as const;

export interface ReportSection {
  title: string;
  /** HTML: paragraphs, inline <svg> plots, tables. */
  body: string;
}

const STYLE = `
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1180px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; margin: 0 0 12px; }
figure { margin: 8px 0 16px; overflow-x: auto; } figure svg { max-width: none; }
.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e5e5e5; text-align: left; white-space: nowrap; }
th { background: #f6f6f6; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 12px; }
.note { color: #666; font-size: 12px; }
`;

/** A complete HTML document from sections. */
export function reportPage(title: string, subtitle: string, sections: ReportSection[]): string {
  const body = sections.map((s) => `<section>\n<h2>${escapeHtml(s.title)}</h2>\n${s.body}\n</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(subtitle)}</p>
${body}
</body>
</html>
`;
}

const figure = (svg: string, caption: string) => `<figure>${svg}<figcaption class="note">${escapeHtml(caption)}</figcaption></figure>`;
const table = (html: string) => `<div class="table">${html}</div>`;
const fixed = (x: number | null | undefined) => (typeof x === 'number' ? x.toFixed(4) : 'n/a');

/** JSON with every object or array that fits in `width` columns on one line (a feature list reads as a list). */
export function compactJson(value: unknown, width = 110, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat === undefined || value === null || typeof value !== 'object' || indent.length + flat.length <= width) return flat ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + compactJson(v, width, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, width, inner)}`).join(',\n')}\n${indent}}`;
}

// ---------------------------------------------------------------- a run

export interface RunReportInput {
  metrics: RunMetrics;
  /** The epoch lines of log.jsonl. */
  epochs: EpochPoint[];
  /** config.json as written by the run (resolved config, data fingerprint, code version). */
  config: Record<string, unknown>;
}

function oracleByScenario(metrics: RunMetrics, overall: string): Record<string, number | null> | undefined {
  const oracle = metrics.oracle;
  return oracle ? { ...oracle.scenarios, [overall]: oracle.auc } : undefined;
}

/** The per-scenario test AUC bars beside the oracle, with the table of the same numbers. */
export async function scenarioSection(metrics: RunMetrics, title = 'Test AUC per scenario'): Promise<ReportSection> {
  const test = metrics.test;
  const names = [...Object.keys(test.scenarios), 'all'];
  const oracle = oracleByScenario(metrics, 'all');
  const aucOf = (name: string) => (name === 'all' ? test.auc : test.scenarios[name].auc);
  const points: ScenarioAuc[] = names.flatMap((scenario) => {
    const model = aucOf(scenario);
    const best = oracle?.[scenario] ?? null;
    return [
      ...(model === null ? [] : [{ scenario, series: 'model', auc: model }]),
      ...(best === null ? [] : [{ scenario, series: 'oracle', auc: best }]),
    ];
  });
  const caption = oracle
    ? 'Grey: the oracle, the AUC of the true click probability (the best any model can reach).'
    : 'The data carries no true click probability, so there is no oracle.';
  const svg = points.length > 0 ? figure(await renderSvg(scenarioAucSpec(points, names)), caption) : '<p class="note">No scenario has both classes: AUC is undefined.</p>';
  return { title, body: `${svg}\n${table(renderScenarioTable(test, { format: 'html', oracle, overallLabel: 'all' }))}` };
}

async function reliabilitySection(test: SplitMetrics): Promise<ReportSection> {
  const curves = [...Object.entries(test.scenarios), ['all', test] as const]
    .filter(([, m]) => (m.reliability?.length ?? 0) > 0)
    .map(([scenario, m]) => ({ scenario, bins: m.reliability ?? [] }));
  const body = curves.length === 0
    ? '<p class="note">This run has no reliability curves in metrics.json.</p>'
    : figure(await renderSvg(reliabilitySpec(curves)),
      'Test rows sorted by prediction, cut into bins of equal count; points on the dashed diagonal are calibrated.');
  return { title: 'Reliability (test)', body };
}

/** The sections of a run's report, in reading order. */
export async function runReportSections(input: RunReportInput): Promise<ReportSection[]> {
  const { metrics, epochs, config } = input;
  const bestDefined = epochs.some((e) => e.validation_auc !== null);
  const curves = epochs.length === 0
    ? '<p class="note">log.jsonl has no epochs.</p>'
    : figure(await renderSvg(learningCurvesSpec(epochs, bestDefined ? metrics.best_epoch : null)),
      `Per epoch; the dashed line marks the best validation AUC (epoch ${metrics.best_epoch}), whose weights the run keeps.`);
  const { model_config: modelConfig, train_resolved: train, dataset, data_fingerprint: fingerprint, code_version: version } = config;
  return [
    { title: 'Learning curves', body: curves },
    await scenarioSection(metrics),
    await reliabilitySection(metrics.test),
    {
      title: 'Validation at the best epoch',
      body: table(renderScenarioTable(metrics.validation, { format: 'html', overallLabel: 'all' })),
    },
    {
      title: 'Config and data',
      body: [
        `<p>data fingerprint <code>${escapeHtml(String(fingerprint ?? 'n/a'))}</code>, code version <code>${escapeHtml(String(version ?? 'n/a'))}</code></p>`,
        `<h3>model options</h3><pre>${escapeHtml(compactJson(modelConfig ?? {}))}</pre>`,
        `<h3>training options</h3><pre>${escapeHtml(compactJson(train ?? {}))}</pre>`,
        `<h3>dataset</h3><pre>${escapeHtml(compactJson(dataset ?? {}))}</pre>`,
      ].join('\n'),
    },
  ];
}

function runTitle(metrics: RunMetrics): string {
  return `${metrics.variant ? `${metrics.model}.${metrics.variant}` : metrics.model}, seed ${metrics.seed}`;
}

function runSubtitle(metrics: RunMetrics, config: Record<string, unknown>): string {
  const dataset = (config.dataset as { name?: string } | undefined)?.name ?? 'dataset';
  return `${dataset}: test AUC ${fixed(metrics.test.auc)}, LogLoss ${fixed(metrics.test.logloss)}; best epoch ${metrics.best_epoch}; ` +
    `${Math.round(metrics.train.samples_per_second).toLocaleString('en-US')} train samples/s; ` +
    `${metrics.parameters.dense.toLocaleString('en-US')} dense and ${metrics.parameters.embedding.toLocaleString('en-US')} embedding parameters`;
}

export async function renderRunReport(input: RunReportInput): Promise<string> {
  return reportPage(`optmsm run: ${runTitle(input.metrics)}`, runSubtitle(input.metrics, input.config), await runReportSections(input));
}

const orNull = (x: unknown): number | null => (typeof x === 'number' ? x : null);

/** Reads a finished run directory (metrics.json, log.jsonl, config.json). */
export function readRunReportInput(dir: string): RunReportInput {
  const metrics = readRunMetrics(dir);
  const logFile = join(dir, RUN_FILES.log);
  const epochs = existsSync(logFile)
    ? readJsonl(logFile).entries.map((e) => ({
        epoch: Number(e.epoch), train_loss: orNull(e.train_loss), validation_auc: orNull(e.validation_auc), validation_logloss: orNull(e.validation_logloss),
      }))
    : [];
  const config = JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')) as Record<string, unknown>;
  return { metrics, epochs, config };
}

/** Writes report.html into a finished run directory; returns its path. */
export async function writeRunReport(dir: string): Promise<string> {
  const file = join(dir, REPORT_FILES.run);
  writeFileAtomicSync(file, await renderRunReport(readRunReportInput(dir)));
  return file;
}

// ---------------------------------------------------------------- a bench

export interface BenchReportInput {
  /** e.g. the dataset name. */
  name: string;
  summary: BenchSummary;
  seeds: number[];
  /** Each run's report.html, relative to the bench report, for links. */
  runs?: { label: string; seed: number; report: string }[];
}

/** The sections of a bench report: AUC with error bars, paired deltas, cost, and the full table. */
export async function benchReportSections({ summary, runs = [] }: BenchReportInput): Promise<ReportSection[]> {
  const scenarios = [...summary.scenarios, 'all'];
  const labels = summary.rows.map((r) => r.label);
  const aucPoints = summary.rows.flatMap((r) =>
    scenarios.flatMap((scenario) => {
      const m = scenario === 'all' ? r.test.auc : r.test.scenarios[scenario].auc;
      if (m.mean === null) return [];
      const spread = m.std ?? 0;
      const oracle = scenario === 'all' ? summary.oracle?.auc ?? null : summary.oracle?.scenarios[scenario] ?? null;
      return [{ model: r.label, scenario, mean: m.mean, low: m.mean - spread, high: m.mean + spread, oracle }];
    }),
  );
  const deltas = summary.rows.flatMap((r) => {
    const vs = r.vsReference;
    if (vs === null || vs.meanDiff === null || vs.ci95 === null) return [];
    return [{ label: r.label, delta: vs.meanDiff, low: vs.ci95[0], high: vs.ci95[1], significant: vs.ci95[0] > 0 || vs.ci95[1] < 0 }];
  });
  const cost = summary.rows.map((r) => ({ label: r.label, samplesPerSecond: r.samplesPerSecond, dense: r.parameters.dense, embedding: r.parameters.embedding }));
  const oracleNote = summary.oracle ? ' The dashed line is the oracle AUC (the true click probability).' : '';
  const sections: ReportSection[] = [
    {
      title: 'Test AUC per scenario',
      body: aucPoints.length === 0
        ? '<p class="note">No row has a defined test AUC.</p>'
        : figure(await renderSvg(benchAucSpec(aucPoints, scenarios, labels)), `Mean over seeds; bars span ± one standard deviation.${oracleNote}`),
    },
  ];
  if (summary.hasReference) {
    sections.push({
      title: `Differences to ${summary.reference}`,
      body: deltas.length === 0
        ? `<p class="note">Fewer than two seeds shared with ${escapeHtml(summary.reference)}: no confidence intervals.</p>`
        : figure(await renderSvg(deltaSpec(deltas, summary.reference)),
          'Paired over the seeds both rows ran; the interval is mean ± t(0.975, n-1) · sd/√n of the per-seed differences.'),
    });
  }
  sections.push(
    { title: 'Throughput and parameters', body: figure(await renderSvg(costSpec(cost)), 'Mean train samples/s over seeds; parameters of the first seed.') },
    {
      title: 'Test AUC',
      body: `<p class="note">Mean ± std over seeds; bold is the best of a column; p is a paired two-sided t-test of test AUC against ${escapeHtml(summary.reference)}.</p>\n${table(renderBenchTable(summary, 'html', 'auc'))}`,
    },
    { title: 'Test LogLoss', body: table(renderBenchTable(summary, 'html', 'logloss')) },
    { title: 'Training cost', body: table(renderBenchTable(summary, 'html', 'cost')) },
  );
  if (runs.length > 0) {
    const links = runs.map((r) => `<a href="${escapeHtml(r.report)}">${escapeHtml(r.label)} seed ${r.seed}</a>`);
    sections.push({ title: 'Runs', body: `<p>Each run's own report (learning curves, reliability, config): ${links.join(', ')}.</p>` });
  }
  return sections;
}

export function benchSubtitle({ summary, seeds }: BenchReportInput): string {
  return `${summary.rows.length} rows × seeds ${seeds.join(', ')}; reference ${summary.reference}`;
}

export async function renderBenchReport(input: BenchReportInput): Promise<string> {
  return reportPage(`optmsm bench: ${input.name}`, benchSubtitle(input), await benchReportSections(input));
}

/** Writes a report page to `file` atomically; returns the path. */
export function writeReport(file: string, html: string): string {
  writeFileAtomicSync(file, html);
  return file;
}
