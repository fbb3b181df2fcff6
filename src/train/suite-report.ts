// The suite's tables, as Markdown (suite.md) and as an HTML report (suite.html, from the report pages' sections):
// mean ranks across worlds (tuning and test worlds apart; the mean validation rank over the tuning worlds is the
// number options are chosen by), test and validation AUC per world with ranks, and one detail table per world
// (per-scenario AUC, gap to the oracle, paired t-tests against the world's best).
import { escapeHtml, fixed, renderTable, type TableFormat } from './report.js';
import { REPORT_FILES, reportPage } from './report-html.js';
import type { SuiteResult, SuiteRow, SuiteSummaryRow, SuiteWorldResult } from './suite.js';

/** A table with its title (a section of the HTML page, a heading of the Markdown). */
interface Block {
  title: string;
  /** Level of the Markdown heading. */
  depth: 2 | 3;
  note?: string;
  table?: Table;
}
interface Table { header: string[]; rows: string[][]; marked: boolean[][] }

type Kind = 'defaults' | 'tuned';

const na = 'n/a';
const num = (x: number | null | undefined, digits = 4) => (x === null || x === undefined ? na : x.toFixed(digits));
const rank = (x: number | null) => (x === null ? na : Number.isInteger(x) ? String(x) : x.toFixed(1));
const p = (x: number | null, isBest: boolean) => (isBest ? 'best' : x === null ? na : x < 0.001 ? '<0.001' : x.toFixed(3));
const aucStd = (auc: number | null, sd: number | null) => (auc === null ? na : sd === null ? fixed(auc) : `${fixed(auc)} ± ${fixed(sd)}`);

function summaryTable(rows: SuiteSummaryRow[]): Table {
  const header = [
    'model', 'tuning worlds: mean validation rank', 'mean test rank', 'smallest scenario: mean test rank', 'smallest scenario: level',
    'first or tied (test)', 'test worlds: mean test rank', 'mean validation rank', 'smallest scenario: mean test rank',
    'smallest scenario: level', 'first or tied (test)',
  ];
  const body = rows.map((r) => [
    r.label, rank(r.tuning.validationRank), rank(r.tuning.testRank), rank(r.tuning.smallestRank), `${r.tuning.smallestLevel}/${r.tuning.worlds}`,
    `${r.tuning.firstOrTied}/${r.tuning.worlds}`, rank(r.test.testRank), rank(r.test.validationRank), rank(r.test.smallestRank),
    `${r.test.smallestLevel}/${r.test.worlds}`, `${r.test.firstOrTied}/${r.test.worlds}`,
  ]);
  const best = (pick: (r: SuiteSummaryRow) => number | null) => {
    const values = rows.map(pick).filter((v): v is number => v !== null);
    return Math.min(...values);
  };
  const bestVal = best((r) => r.tuning.validationRank);
  const bestTest = best((r) => r.test.testRank);
  const marked = rows.map((r) => [false, r.tuning.validationRank === bestVal, false, false, false, false, r.test.testRank === bestTest, false, false, false, false]);
  return { header, rows: body, marked };
}

/** One row per model, one column per world: mean AUC on the split and its rank. */
function perWorldTable(worlds: SuiteWorldResult[], table: Kind, split: 'test' | 'validation'): Table {
  const ran = worlds.filter((w) => !w.skipped && w.tables[table]);
  const labels = [...new Set(ran.flatMap((w) => w.tables[table]!.map((r) => r.label)))];
  const header = ['model', ...ran.map((w) => `${w.name}${w.role === 'test' ? ' (test)' : ''}`)];
  const cell = (w: SuiteWorldResult, label: string) => {
    const row = w.tables[table]!.find((r) => r.label === label);
    return row ? `${num(row[split].auc)} (${rank(row[split].rank)})` : '–';
  };
  const body = labels.map((label) => [label, ...ran.map((w) => cell(w, label))]);
  const marked = labels.map((label) => [false, ...ran.map((w) => w.tables[table]!.find((r) => r.label === label)?.[split].rank === 1)]);
  if (split === 'test') body.push(['oracle', ...ran.map((w) => num(w.oracle?.auc))]);
  return { header, rows: body, marked };
}

function worldTable(world: SuiteWorldResult, rows: SuiteRow[]): Table {
  const scenarios = Object.keys(world.testRows);
  const header = [
    'model', 'test AUC', 'rank', 'p vs best', 'gap to oracle', 'validation AUC', 'rank', 'p vs best',
    ...scenarios.map((s) => (s === world.smallestScenario ? `${s} (smallest)` : s)), 'smallest: p vs best', 'best epoch',
  ];
  const body = rows.map((r) => [
    r.label, aucStd(r.test.auc, r.test.std), rank(r.test.rank), p(r.test.pVsBest, r.test.best),
    num(r.test.gapToOracle), aucStd(r.validation.auc, r.validation.std), rank(r.validation.rank),
    p(r.validation.pVsBest, r.validation.best),
    ...scenarios.map((s) => num(r.scenarios[s])), p(r.smallestPVsBest, r.smallestRank === 1), num(r.bestEpoch, 1),
  ]);
  const bestOf = (pick: (r: SuiteRow) => number | null) => Math.max(...rows.map(pick).filter((v): v is number => v !== null));
  const bestTest = bestOf((r) => r.test.auc);
  const bestVal = bestOf((r) => r.validation.auc);
  const bestScenario = scenarios.map((s) => bestOf((r) => r.scenarios[s] ?? null));
  const marked = rows.map((r) => [
    false, r.test.auc === bestTest, false, false, false, r.validation.auc === bestVal, false, false,
    ...scenarios.map((s, k) => r.scenarios[s] === bestScenario[k]), false, false,
  ]);
  if (world.oracle) {
    body.push(['oracle', num(world.oracle.auc), '', '', '', '', '', '', ...scenarios.map((s) => num(world.oracle!.scenarios[s])), '', '']);
  }
  return { header, rows: body, marked };
}

function blocks(result: SuiteResult, kind: Kind, title: string): Block[] {
  const summary = result.summary[kind];
  if (!summary) return [];
  const out: Block[] = [
    { title, depth: 2 },
    { title: `${title}: mean rank across worlds`, depth: 3, table: summaryTable(summary) },
    { title: `${title}: test AUC per world (rank)`, depth: 3, table: perWorldTable(result.worlds, kind, 'test') },
    { title: `${title}: validation AUC per world (rank)`, depth: 3, table: perWorldTable(result.worlds, kind, 'validation') },
  ];
  for (const world of result.worlds) {
    const rows = world.tables[kind];
    if (world.skipped || !rows) continue;
    const smallest = world.smallestScenario ? `; smallest scenario ${world.smallestScenario} (${world.testRows[world.smallestScenario]} test rows)` : '';
    out.push({
      title: `${world.name} (${world.role} world${world.oracle ? `; oracle test AUC ${num(world.oracle.auc)}` : ''}${smallest})`,
      depth: 3, table: worldTable(world, rows),
    });
  }
  return out;
}

const EXPLANATION = ' Ranks are by mean AUC over seeds among one row per model (a variant is ranked against the other models), ties shared;'
  + ' "p vs best" is the paired two-sided t-test over seeds against the best row of the world; "first or tied" counts'
  + ' the worlds where a row is best or not significantly below it (p > 0.05) on the test split. In the smallest scenario,'
  + ' whose few hundred test rows move an AUC by several hundredths, "p vs best" also counts the rows\' sampling: DeLong\'s'
  + ' test per seed on the saved test scores, combined with the spread over seeds (Satterthwaite\'s t); "level" counts the worlds where a row'
  + ' leads that scenario or trails it with p > 0.05. Options are chosen by'
  + ' the mean validation rank over the tuning worlds; test worlds only report.';

function overview(result: SuiteResult): { line: string; skipped: string[] } {
  const ran = result.worlds.filter((w) => !w.skipped);
  return {
    line: `${ran.length} worlds (${ran.filter((w) => w.role === 'tuning').length} tuning, ${ran.filter((w) => w.role === 'test').length} test), seeds ${result.seeds.join(', ')}.`,
    skipped: result.worlds.filter((w) => w.skipped).map((w) => `${w.name} (${w.role}): skipped, ${w.skipped}`),
  };
}

const allBlocks = (result: SuiteResult) => [...blocks(result, 'defaults', 'Default options'), ...blocks(result, 'tuned', 'Tuned options')];
const render = (t: Table, format: TableFormat) => renderTable(t.header, t.rows, format, t.marked);

export function renderSuiteMarkdown(result: SuiteResult, command?: string): string {
  const { line, skipped } = overview(result);
  const lines = [
    `# Suite \`${result.suite}\``,
    '',
    ...(command ? ['```sh', command, '```', ''] : []),
    `${line}${EXPLANATION}`,
    '',
    ...skipped.map((s) => `- ${s}`),
    ...(skipped.length ? [''] : []),
  ];
  for (const b of allBlocks(result)) lines.push(`${'#'.repeat(b.depth)} ${b.title}`, '', ...(b.table ? [render(b.table, 'markdown')] : []));
  return `${lines.join('\n')}\n`;
}

/** suite.html: the same tables, one section each, and a link to every world's bench report. */
export function renderSuiteHtml(result: SuiteResult, command?: string): string {
  const { line, skipped } = overview(result);
  const intro = [
    ...(command ? [`<pre>${escapeHtml(command)}</pre>`] : []),
    `<p>${escapeHtml(line + EXPLANATION)}</p>`,
    ...skipped.map((s) => `<p class="note">${escapeHtml(s)}</p>`),
    `<p>Per world: ${result.worlds.filter((w) => !w.skipped).map((w) => `<a href="${escapeHtml(`${w.name}/${REPORT_FILES.bench}`)}">${escapeHtml(w.name)}</a>`).join(', ')}.</p>`,
  ].join('\n');
  const sections = [{ title: 'Suite', body: intro }, ...allBlocks(result).filter((b) => b.table).map((b) => ({
    title: b.title, body: `<div class="table">${render(b.table!, 'html')}</div>`,
  }))];
  return reportPage(`optmsm suite: ${result.suite}`, line, sections);
}
