// Result tables: the per-scenario table of one run (terminal text or Markdown, optionally beside the oracle AUC
// of synthetic data) and the multi-model bench table (mean ± std over seeds, best value per column marked, a
// paired t-test against a reference model). Summaries are plain JSON-able data; rendering is separate.
import { type OracleAuc, type RunMetrics, SMALL_SAMPLE_CLASS, type ScenarioMetrics, type SplitMetrics } from '../metrics/index.js';
import { mean, pairedTTest, sampleStd } from './stats.js';

export type TableFormat = 'text' | 'markdown' | 'html';
type Align = 'left' | 'right';

const DIGITS = 4;
/** Text tables fit this many columns, wrapping their columns into blocks when they would not. */
export const TERMINAL_WIDTH = 100;
export const fixed = (x: number): string => x.toFixed(DIGITS);
const integer = (x: number) => Math.round(x).toLocaleString('en-US');

function undefinedAuc(m: Pick<ScenarioMetrics, 'rows'>): string {
  return m.rows === 0 ? 'n/a (no rows)' : 'n/a (one class)';
}

export const escapeHtml = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Renders a table; `marked[r][c]` cells are bold in Markdown and HTML and get a trailing `*` in text. */
export function renderTable(
  header: string[],
  rows: string[][],
  format: TableFormat,
  marked: boolean[][] = [],
): string {
  const align: Align[] = header.map((_, c) => (c === 0 ? 'left' : 'right'));
  const cells = rows.map((row, r) =>
    row.map((cell, c) => {
      if (!marked[r]?.[c]) return format === 'markdown' ? cell.replaceAll('|', '\\|') : cell;
      return format === 'markdown' ? `**${cell.replaceAll('|', '\\|')}**` : `${cell}*`;
    }),
  );
  if (format === 'html') {
    const cell = (tag: string, x: string, c: number, bold = false) =>
      `<${tag}${align[c] === 'right' ? ' class="num"' : ''}>${bold ? `<strong>${escapeHtml(x)}</strong>` : escapeHtml(x)}</${tag}>`;
    const body = rows.map((row, r) => `<tr>${row.map((x, c) => cell('td', x, c, marked[r]?.[c] === true)).join('')}</tr>`);
    return `<table>\n<thead><tr>${header.map((h, c) => cell('th', h, c)).join('')}</tr></thead>\n<tbody>\n${body.join('\n')}\n</tbody>\n</table>\n`;
  }
  if (format === 'markdown') {
    const line = (xs: string[]) => `| ${xs.join(' | ')} |`;
    const rule = align.map((a) => (a === 'left' ? ':---' : '---:'));
    return [line(header), line(rule), ...cells.map(line)].join('\n') + '\n';
  }
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const block = (columns: number[]) => {
    const pad = (xs: string[]) =>
      columns.map((c) => (align[c] === 'left' ? xs[c].padEnd(widths[c]) : xs[c].padStart(widths[c]))).join('  ').trimEnd();
    return [pad(header), columns.map((c) => '-'.repeat(widths[c])).join('  '), ...cells.map(pad)].join('\n') + '\n';
  };
  // Too wide for a terminal: blocks of columns, each repeating the first (the row names).
  const blocks: number[][] = [[0]];
  for (let c = 1; c < header.length; c++) {
    const current = blocks[blocks.length - 1];
    const width = current.reduce((w, k) => w + widths[k] + 2, widths[c]);
    if (width > TERMINAL_WIDTH && current.length > 1) blocks.push([0, c]);
    else current.push(c);
  }
  return blocks.map(block).join('\n');
}

/** Marks a scenario whose split has fewer than SMALL_SAMPLE_CLASS positives or negatives (small_sample_reason). */
export const SMALL_SAMPLE_MARK = '†';

function smallSampleNote(format: TableFormat): string {
  const text = `${SMALL_SAMPLE_MARK} fewer than ${SMALL_SAMPLE_CLASS} positives or negatives in the split: its AUC is too noisy to compare`;
  return format === 'html' ? `<p class="note">${escapeHtml(text)}</p>\n` : format === 'markdown' ? `\n${text}\n` : `${text}\n`;
}

// ---------------------------------------------------------------- one run, per scenario

export interface ScenarioTableOptions {
  format: TableFormat;
  /** Oracle AUC per scenario value (synthetic data), and optionally overall under the key of `overallLabel`. */
  oracle?: Record<string, number | null>;
  /** Label of the overall row; default "all". */
  overallLabel?: string;
}

export function renderScenarioTable(split: SplitMetrics, options: ScenarioTableOptions): string {
  const { format, oracle, overallLabel = 'all' } = options;
  const header = ['scenario', 'rows', 'positives', 'AUC', 'LogLoss'];
  if (oracle) header.push('oracle AUC', 'gap to oracle');
  const entries: [string, ScenarioMetrics][] = [...Object.entries(split.scenarios), [overallLabel, split]];
  const rows = entries.map(([name, m]) => {
    const label = m.small_sample_reason === undefined ? name : `${name} ${SMALL_SAMPLE_MARK}`;
    const row = [label, integer(m.rows), integer(m.positives), m.auc === null ? undefinedAuc(m) : fixed(m.auc)];
    row.push(m.logloss === null ? 'n/a' : fixed(m.logloss));
    if (oracle) {
      const o = oracle[name] ?? null;
      row.push(o === null ? 'n/a' : fixed(o), o === null || m.auc === null ? 'n/a' : fixed(o - m.auc));
    }
    return row;
  });
  const small = entries.some(([, m]) => m.small_sample_reason !== undefined);
  return renderTable(header, rows, format) + (small ? smallSampleNote(format) : '');
}

// ---------------------------------------------------------------- bench, many models × seeds

/** Mean ± sample std over the seeds whose value is defined (`n` of `of`). */
export interface MeanStd {
  mean: number | null;
  std: number | null;
  n: number;
  of: number;
}

export interface BenchRow {
  /** model, or model.variant */
  label: string;
  model: string;
  variant?: string;
  seeds: number[];
  test: { auc: MeanStd; logloss: MeanStd; scenarios: Record<string, { auc: MeanStd; logloss: MeanStd }> };
  bestEpoch: number | null;
  samplesPerSecond: number | null;
  parameters: { dense: number; embedding: number };
  /** Paired two-sided t-test of test AUC against the reference over shared seeds; null for the reference itself. */
  vsReference: { p: number | null; n: number; meanDiff: number | null; ci95: [number, number] | null } | null;
}

export interface BenchSummary {
  reference: string;
  /** Whether the reference appears among the rows (otherwise there is no p-value column). */
  hasReference: boolean;
  scenarios: string[];
  /** Scenarios whose test split is too small to compare (the reason, from metrics.json's small_sample_reason). */
  small: Record<string, string>;
  rows: BenchRow[];
  oracle?: OracleAuc;
}

export interface BenchOptions {
  /** Label of the model every other one is tested against; default "optmsm". */
  reference?: string;
  oracle?: OracleAuc;
}

const runLabel = (r: RunMetrics) => (r.variant ? `${r.model}.${r.variant}` : r.model);

function meanStd(values: (number | null | undefined)[]): MeanStd {
  const defined = values.filter((v): v is number => typeof v === 'number');
  return { mean: mean(defined), std: sampleStd(defined), n: defined.length, of: values.length };
}

function testAucBySeed(runs: RunMetrics[]): Map<number, number> {
  const bySeed = new Map<number, number>();
  for (const r of runs) if (r.test.auc !== null) bySeed.set(r.seed, r.test.auc);
  return bySeed;
}

export function summariseBench(runs: RunMetrics[], options: BenchOptions = {}): BenchSummary {
  const reference = options.reference ?? 'optmsm';
  const groups = new Map<string, RunMetrics[]>();
  for (const r of runs) groups.set(runLabel(r), [...(groups.get(runLabel(r)) ?? []), r]);
  const scenarios = [...new Set(runs.flatMap((r) => Object.keys(r.test.scenarios)))];
  const refAuc = testAucBySeed(groups.get(reference) ?? []);
  const rows = [...groups].map(([label, group]): BenchRow => {
    const first = group[0];
    const perScenario = (key: string) => group.map((r) => r.test.scenarios[key]);
    const own = testAucBySeed(group);
    const shared = [...own.keys()].filter((s) => refAuc.has(s)).sort((a, b) => a - b);
    const test = pairedTTest(shared.map((s) => own.get(s) as number), shared.map((s) => refAuc.get(s) as number));
    return {
      label,
      model: first.model,
      ...(first.variant ? { variant: first.variant } : {}),
      seeds: group.map((r) => r.seed),
      test: {
        auc: meanStd(group.map((r) => r.test.auc)),
        logloss: meanStd(group.map((r) => r.test.logloss)),
        scenarios: Object.fromEntries(
          scenarios.map((key) => {
            const metrics = perScenario(key);
            return [key, { auc: meanStd(metrics.map((m) => m?.auc)), logloss: meanStd(metrics.map((m) => m?.logloss)) }];
          }),
        ),
      },
      bestEpoch: mean(group.map((r) => r.best_epoch)),
      samplesPerSecond: mean(group.map((r) => r.train.samples_per_second)),
      parameters: { dense: first.parameters.dense, embedding: first.parameters.embedding },
      vsReference: label === reference ? null : { p: test.p, n: test.n, meanDiff: test.meanDiff, ci95: test.ci95 },
    };
  });
  const small: Record<string, string> = {};
  for (const r of runs) {
    for (const [key, m] of Object.entries(r.test.scenarios)) if (m.small_sample_reason !== undefined) small[key] = m.small_sample_reason;
  }
  const summary: BenchSummary = { reference, hasReference: groups.has(reference), scenarios, small, rows };
  if (options.oracle) summary.oracle = options.oracle;
  return summary;
}

function formatMeanStd(m: MeanStd): string {
  if (m.mean === null) return 'n/a (one class)';
  const value = m.std === null ? fixed(m.mean) : `${fixed(m.mean)} ± ${fixed(m.std)}`;
  return m.n < m.of ? `${value} (${m.n}/${m.of} seeds)` : value;
}

function formatP(vs: BenchRow['vsReference']): string {
  if (vs === null) return 'ref';
  if (vs.p === null) return vs.n < 2 ? `n/a (${vs.n} paired seed${vs.n === 1 ? '' : 's'})` : 'n/a (no difference)';
  return vs.p < 0.001 ? '<0.001' : vs.p.toFixed(3);
}

interface MetricColumn {
  title: string;
  pick: (r: BenchRow) => MeanStd;
  better: 'max' | 'min';
  /** Shown in the oracle row; undefined leaves the cell empty. */
  oracle?: number | null;
  /** Print the mean only (the terminal table's per-scenario columns; the std is in bench.md and bench.html). */
  meanOnly?: boolean;
}

/**
 * Which columns a bench table shows: every one (bench.md), one group (the HTML report's tables), or the terminal's:
 * test AUC overall (mean ± std) and per scenario (mean), and the p-value.
 */
export type BenchColumns = 'all' | 'auc' | 'logloss' | 'cost' | 'terminal';

function metricColumns(summary: BenchSummary, columns: BenchColumns): MetricColumn[] {
  const oracle = summary.oracle;
  const auc = columns !== 'logloss' && columns !== 'cost';
  const logloss = columns === 'all' || columns === 'logloss';
  const out: MetricColumn[] = [];
  if (auc) out.push({ title: 'AUC', pick: (r) => r.test.auc, better: 'max', oracle: oracle?.auc ?? null });
  if (logloss) out.push({ title: 'LogLoss', pick: (r) => r.test.logloss, better: 'min' });
  for (const s of summary.scenarios) {
    const pick = (r: BenchRow) => r.test.scenarios[s];
    const mark = summary.small[s] === undefined ? '' : ` ${SMALL_SAMPLE_MARK}`;
    if (columns === 'terminal') out.push({ title: `${s}${mark}`, pick: (r) => pick(r).auc, better: 'max', oracle: oracle?.scenarios[s] ?? null, meanOnly: true });
    else if (auc) out.push({ title: `AUC [${s}]${mark}`, pick: (r) => pick(r).auc, better: 'max', oracle: oracle?.scenarios[s] ?? null });
    if (logloss) out.push({ title: `LogLoss [${s}]${mark}`, pick: (r) => pick(r).logloss, better: 'min' });
  }
  return out;
}

function formatColumn(column: MetricColumn, r: BenchRow): string {
  const m = column.pick(r);
  return column.meanOnly && m.mean !== null ? fixed(m.mean) : formatMeanStd(m);
}

/** Which rows hold the best mean of a column, compared as shown so that printed ties are all marked. */
function bestRows(rows: BenchRow[], column: MetricColumn): boolean[] {
  const shown = rows.map((r) => column.pick(r).mean).map((m) => (m === null ? null : Number(fixed(m))));
  const defined = shown.filter((v): v is number => v !== null);
  if (defined.length < 2) return rows.map(() => false);
  const best = column.better === 'max' ? Math.max(...defined) : Math.min(...defined);
  return shown.map((v) => v === best);
}

/**
 * The bench table: one row per model (plus an oracle row when given), best AUC (max) and LogLoss (min) marked.
 * The terminal ('text') table shows the 'terminal' columns and fits TERMINAL_WIDTH (wrapping into blocks when there
 * are many scenarios); Markdown and HTML show `columns`, by default all.
 */
export function renderBenchTable(summary: BenchSummary, format: TableFormat, columns: BenchColumns = format === 'text' ? 'terminal' : 'all'): string {
  const metrics = metricColumns(summary, columns);
  const cost = columns === 'all' || columns === 'cost';
  const significance = summary.hasReference && columns !== 'logloss' && columns !== 'cost';
  const header = ['model', 'seeds', ...metrics.map((c) => c.title)];
  if (cost) header.push('best epoch', 'train samples/s', 'dense params', 'embedding params');
  if (significance) header.push(`p vs ${summary.reference}`);

  const rows = summary.rows.map((r) => {
    const row = [r.label, String(r.seeds.length), ...metrics.map((c) => formatColumn(c, r))];
    if (cost) {
      row.push(r.bestEpoch === null ? 'n/a' : r.bestEpoch.toFixed(1));
      row.push(r.samplesPerSecond === null ? 'n/a' : integer(r.samplesPerSecond));
      row.push(integer(r.parameters.dense), integer(r.parameters.embedding));
    }
    if (significance) row.push(formatP(r.vsReference));
    return row;
  });
  const best = metrics.map((c) => bestRows(summary.rows, c));
  const marked = summary.rows.map((_, r) => header.map((__, c) => c >= 2 && c < 2 + metrics.length && best[c - 2][r]));
  if (summary.oracle && metrics.some((c) => c.oracle !== undefined)) {
    const cells = metrics.map((c) => (c.oracle === undefined ? '' : c.oracle === null ? 'n/a' : fixed(c.oracle)));
    rows.push(['oracle', '', ...cells, ...header.slice(2 + cells.length).map(() => '')]);
  }
  const small = metrics.some((c) => c.title.endsWith(SMALL_SAMPLE_MARK));
  return renderTable(header, rows, format, marked) + (small ? smallSampleNote(format) : '');
}
