// The HTML reports, read offline as a browser would get them: self-contained (no script, no fetch of anything),
// every plot present as inline SVG, and the numbers on the page equal to metrics.json / bench.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunMetrics } from '../../src/metrics/index.js';
import { loadRunConfig, runBench, runTraining } from '../../src/train/index.js';
import { compactJson } from '../../src/train/report-html.js';
import { writeTinyDataset, writeTinyRunConfig } from '../helpers/tiny-dataset.js';

const quiet = { log: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream };

/** The page's sections by their <h2> title. */
function sections(html: string): Map<string, string> {
  const parts = html.split('<h2>').slice(1);
  return new Map(parts.map((p) => [p.slice(0, p.indexOf('</h2>')), p]));
}

/** Cell texts of the first table of an HTML fragment, row by row. */
function tableCells(html: string): string[][] {
  const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
  return body.split('<tr>').slice(1).map((row) => [...row.matchAll(/<td[^>]*>(?:<strong>)?(.*?)(?:<\/strong>)?<\/td>/g)].map((m) => m[1]));
}

function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\((?!#)/i); // url(#clip) is a reference inside the page
  // The only URLs are XML namespace names, which a browser never fetches.
  const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
  expect(urls.every((u) => u === 'http://www.w3.org/2000/svg' || u === 'http://www.w3.org/1999/xlink')).toBe(true);
}

describe('run report', () => {
  const dataset = writeTinyDataset();
  const config = loadRunConfig(writeTinyRunConfig(dataset, { epochs: 3 }));

  it('train writes report.html with the learning curves, per-scenario AUC, reliability and config', async () => {
    const { dir, report } = await runTraining({ config, model: 'shared-bottom', seed: 7, out: join(dataset.dir, 'run'), ...quiet });
    expect(report).toBe(join(dir, 'report.html'));
    const html = readFileSync(report, 'utf8');
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as RunMetrics;
    expectSelfContained(html);
    const page = sections(html);
    expect([...page.keys()]).toEqual(['Learning curves', 'Test AUC per scenario', 'Reliability (test)', 'Validation at the best epoch', 'Config and data']);
    for (const title of ['Learning curves', 'Test AUC per scenario', 'Reliability (test)']) expect(page.get(title)).toMatch(/<figure><svg[^>]+width="[\d.]+"/);

    // The learning curves: one point per epoch of log.jsonl in each panel, the best epoch labelled.
    const epochs = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n');
    expect(page.get('Learning curves')).toContain(`best epoch ${metrics.best_epoch}`);
    expect(epochs.length).toBe(3);
    const points = (part: string | undefined) => part?.match(/aria-roledescription="point"/g)?.length ?? 0;
    expect(points(page.get('Learning curves'))).toBe(3 * epochs.length); // train loss, validation AUC, validation LogLoss
    // Reliability: a point per bin, for every scenario and overall.
    const bins = [...Object.values(metrics.test.scenarios), metrics.test].reduce((n, m) => n + (m.reliability?.length ?? 0), 0);
    expect(points(page.get('Reliability (test)'))).toBe(bins);

    // The per-scenario table and the bar labels carry metrics.json's numbers.
    const scenarioPart = page.get('Test AUC per scenario') as string;
    const rows = tableCells(scenarioPart);
    const names = [...Object.keys(metrics.test.scenarios), 'all'];
    // Scenarios with fewer than 30 test positives or negatives carry the small-sample mark (all of them here).
    const small = (name: string) => (name === 'all' ? metrics.test : metrics.test.scenarios[name]).small_sample_reason !== undefined;
    expect(names.filter(small).length).toBeGreaterThan(0);
    expect(rows.map((r) => r[0])).toEqual(names.map((n) => (small(n) ? `${n} †` : n)));
    for (const [i, name] of names.entries()) {
      const m = name === 'all' ? metrics.test : metrics.test.scenarios[name];
      expect(rows[i].slice(1, 5)).toEqual([m.rows.toLocaleString('en-US'), m.positives.toLocaleString('en-US'), m.auc?.toFixed(4), m.logloss?.toFixed(4)]);
      expect(scenarioPart).toContain(`>${m.auc?.toFixed(4)}</text>`);
    }
    // One reliability panel per scenario and overall, from the bins metrics.json keeps.
    for (const name of names) {
      const m = name === 'all' ? metrics.test : metrics.test.scenarios[name];
      expect(m.reliability?.reduce((n, b) => n + b.rows, 0)).toBe(m.rows);
      expect(page.get('Reliability (test)')).toContain(`${name} (${m.rows.toLocaleString('en-US')} rows)`);
    }
    const configPart = page.get('Config and data') as string;
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(configPart).toContain(saved.data_fingerprint);
    expect(configPart).toContain('&quot;bottom_hidden&quot;: [16]');
  });
});

describe('bench report', () => {
  const dataset = writeTinyDataset();
  const config = loadRunConfig(writeTinyRunConfig(dataset, { epochs: 2 }));

  it('bench writes bench.html: AUC with error bars, deltas with CIs, cost, and the tables of bench.json', async () => {
    const out = join(dataset.dir, 'bench');
    const outcome = await runBench({ config, models: ['optmsm', 'shared-bottom'], seeds: [1, 2], ablations: false, out, ...quiet });
    expect(outcome.files.html).toBe(join(out, 'bench.html'));
    const html = readFileSync(outcome.files.html, 'utf8');
    expectSelfContained(html);
    const page = sections(html);
    for (const title of ['Test AUC per scenario', 'Differences to optmsm', 'Throughput and parameters']) expect(page.get(title)).toMatch(/<figure><svg/);
    const { summary } = JSON.parse(readFileSync(outcome.files.json, 'utf8'));
    const rows = tableCells(page.get('Test AUC') as string);
    const fmt = (m: { mean: number; std: number }) => `${m.mean.toFixed(4)} ± ${m.std.toFixed(4)}`;
    for (const [i, row] of summary.rows.entries()) {
      expect(rows[i][0]).toBe(row.label);
      expect(rows[i][2]).toBe(fmt(row.test.auc));
      expect(rows[i].slice(3, 6)).toEqual(['detail', 'home', 'search'].map((s) => fmt(row.test.scenarios[s].auc)));
    }
    expect(rows[1].at(-1)).toBe(summary.rows[1].vsReference.p.toFixed(3));
    expect(rows[0].at(-1)).toBe('ref');
    // The paired difference's interval, as bench.json has it, is what the deltas plot draws.
    const ci: [number, number] = summary.rows[1].vsReference.ci95;
    expect(ci[0]).toBeLessThan(summary.rows[1].vsReference.meanDiff);
    expect(ci[1]).toBeGreaterThan(summary.rows[1].vsReference.meanDiff);
    expect(page.get('Runs')).toContain('href="tiny.optmsm/seed-1/report.html"');
  });
});

describe('compactJson', () => {
  it('keeps what fits on one line and expands the rest', () => {
    expect(compactJson({ a: [1, 2], b: { c: 'x' } })).toBe('{"a":[1,2],"b":{"c":"x"}}');
    expect(compactJson({ features: [{ name: 'user' }, { name: 'item' }] }, 20)).toBe('{\n  "features": [\n    {"name":"user"},\n    {"name":"item"}\n  ]\n}');
  });
});
