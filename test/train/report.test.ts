import { describe, expect, it } from 'vitest';
import type { RunMetrics, ScenarioMetrics, SplitMetrics } from '../../src/metrics/index.js';
import { renderBenchTable, renderScenarioTable, summariseBench, TERMINAL_WIDTH } from '../../src/train/report.js';

const scenario = (rows: number, positives: number, auc: number | null, logloss: number | null): ScenarioMetrics =>
  auc === null
    ? { rows, positives, auc, auc_undefined_reason: `all ${rows} rows are negative: AUC is undefined`, logloss }
    : { rows, positives, auc, logloss };

function split(auc: number, logloss: number, a: number | null, b: number | null): SplitMetrics {
  return {
    rows: 300,
    positives: 60,
    auc,
    logloss,
    scenarios: { home: scenario(200, 60, a, logloss - 0.01), search: scenario(100, 0, b, logloss + 0.02) },
  };
}

function run(model: string, seed: number, auc: number, logloss: number, search: number | null, variant?: string): RunMetrics {
  return {
    model,
    ...(variant ? { variant } : {}),
    seed,
    best_epoch: seed + 2,
    test: split(auc, logloss, auc + 0.01, search),
    validation: split(auc, logloss, auc, search),
    train: { seconds: 10, samples_per_second: 10000 * (seed + 1) },
    parameters: { dense: 12345, embedding: 678900 },
  };
}

describe('renderScenarioTable', () => {
  const s = split(0.75, 0.45, 0.76, null);

  it('aligns a text table and shows one-class AUC as n/a', () => {
    expect(renderScenarioTable(s, { format: 'text' })).toBe(
      [
        'scenario  rows  positives              AUC  LogLoss',
        '--------  ----  ---------  ---------------  -------',
        'home       200         60           0.7600   0.4400',
        'search     100          0  n/a (one class)   0.4700',
        'all        300         60           0.7500   0.4500',
        '',
      ].join('\n'),
    );
  });

  it('adds oracle AUC and the gap in Markdown', () => {
    const md = renderScenarioTable(s, { format: 'markdown', oracle: { home: 0.8, search: null, all: 0.79 } });
    expect(md.split('\n').slice(0, 3)).toEqual([
      '| scenario | rows | positives | AUC | LogLoss | oracle AUC | gap to oracle |',
      '| :--- | ---: | ---: | ---: | ---: | ---: | ---: |',
      '| home | 200 | 60 | 0.7600 | 0.4400 | 0.8000 | 0.0400 |',
    ]);
    expect(md).toContain('| search | 100 | 0 | n/a (one class) | 0.4700 | n/a | n/a |');
    expect(md).toContain('| all | 300 | 60 | 0.7500 | 0.4500 | 0.7900 | 0.0400 |');
  });

  it('marks a scenario with too few positives or negatives and says why under the table', () => {
    const small = { ...s, scenarios: { ...s.scenarios, home: { ...s.scenarios.home!, positives: 3, small_sample_reason: '3 positives (fewer than 30): the AUC is too noisy to compare' } } };
    const text = renderScenarioTable(small, { format: 'text' });
    expect(text).toMatch(/^home †\s+200\s+3\s+0\.7600/m);
    expect(text).toMatch(/^search\s+100/m);
    expect(text.trimEnd().split('\n').at(-1)).toBe('† fewer than 30 positives or negatives in the split: its AUC is too noisy to compare');
    expect(renderScenarioTable(s, { format: 'text' })).not.toContain('†');
    const runs = [1, 2].map((seed) => ({ ...run('optmsm', seed, 0.75, 0.45, null), test: small }));
    const summary = summariseBench(runs);
    expect(summary.small).toEqual({ home: '3 positives (fewer than 30): the AUC is too noisy to compare' });
    const md = renderBenchTable(summary, 'markdown');
    expect(md).toContain('AUC [home] †');
    expect(md).not.toContain('AUC [search] †');
    expect(md).toContain('† fewer than 30 positives or negatives');
  });

  it('says "no rows" for an empty scenario', () => {
    const empty = { ...s, scenarios: { gone: { rows: 0, positives: 0, auc: null, logloss: null } } };
    expect(renderScenarioTable(empty, { format: 'text' })).toContain('gone         0          0  n/a (no rows)      n/a');
  });
});

describe('bench summary and table', () => {
  const runs = [
    run('optmsm', 0, 0.77, 0.44, 0.6),
    run('optmsm', 1, 0.772, 0.438, null),
    run('optmsm', 2, 0.768, 0.442, 0.62),
    run('mmoe', 0, 0.762, 0.45, null),
    run('mmoe', 1, 0.765, 0.447, null),
    run('mmoe', 2, 0.76, 0.452, null),
    run('optmsm', 0, 0.75, 0.46, 0.5, 'no-orth'),
  ];
  const summary = summariseBench(runs);

  it('aggregates over seeds using only defined AUCs and pairs seeds for the t-test', () => {
    const [opt, mmoe, ablation] = summary.rows;
    expect([opt.label, mmoe.label, ablation.label]).toEqual(['optmsm', 'mmoe', 'optmsm.no-orth']);
    expect(opt.test.auc.mean).toBeCloseTo(0.77, 12);
    expect(opt.test.auc.std).toBeCloseTo(0.002, 12);
    expect(opt.test.scenarios.search.auc).toMatchObject({ n: 2, of: 3 });
    expect(opt.test.scenarios.search.auc.mean).toBeCloseTo(0.61, 12);
    expect(mmoe.test.scenarios.search.auc).toEqual({ mean: null, std: null, n: 0, of: 3 });
    expect(opt.vsReference).toBeNull();
    // mmoe - optmsm per seed: -0.008, -0.007, -0.008 (scipy ttest_rel: t = -23.0, p = 0.0018850158136836837)
    expect(mmoe.vsReference?.n).toBe(3);
    expect(mmoe.vsReference?.p).toBeCloseTo(0.0018850158136836837, 12);
    expect(ablation.vsReference).toEqual({ p: null, n: 1, meanDiff: expect.closeTo(-0.02, 12), ci95: null });
    expect([opt.bestEpoch, opt.samplesPerSecond]).toEqual([3, 20000]);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('renders Markdown with the best value per column in bold', () => {
    const md = renderBenchTable(summary, 'markdown');
    const lines = md.trimEnd().split('\n');
    expect(lines[0]).toBe(
      '| model | seeds | AUC | LogLoss | AUC [home] | LogLoss [home] | AUC [search] | LogLoss [search] | best epoch | train samples/s | dense params | embedding params | p vs optmsm |',
    );
    expect(lines[2]).toBe(
      '| optmsm | 3 | **0.7700 ± 0.0020** | **0.4400 ± 0.0020** | **0.7800 ± 0.0020** | **0.4300 ± 0.0020** | **0.6100 ± 0.0141 (2/3 seeds)** | **0.4600 ± 0.0020** | 3.0 | 20,000 | 12,345 | 678,900 | ref |',
    );
    expect(lines[3]).toContain('| mmoe | 3 | 0.7623 ± 0.0025 |');
    expect(lines[3]).toContain('| n/a (one class) |');
    expect(lines[3].endsWith('| 0.002 |')).toBe(true);
    expect(lines[4]).toBe(
      '| optmsm.no-orth | 1 | 0.7500 | 0.4600 | 0.7600 | 0.4500 | 0.5000 | 0.4800 | 2.0 | 10,000 | 12,345 | 678,900 | n/a (1 paired seed) |',
    );
  });

  it('prints test AUC in the terminal (std overall, means per scenario), marks the best with * and adds an oracle row', () => {
    const withOracle = summariseBench(runs, { oracle: { auc: 0.8, scenarios: { home: 0.81, search: null } } });
    const text = renderBenchTable(withOracle, 'text');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^model +seeds +AUC +home +search +p vs optmsm$/);
    expect(lines[2]).toMatch(/^optmsm +3 +0\.7700 ± 0\.0020\* +0\.7800\* +0\.6100\* +ref$/);
    expect(lines[3]).toMatch(/^mmoe +3 +0\.7623 ± 0\.0025 +0\.7723 +n\/a \(one class\) +0\.002$/);
    expect(lines[5]).toMatch(/^oracle +0\.8000 +0\.8100 +n\/a$/);
    const widths = new Set(lines.slice(0, 5).map((l) => l.length));
    expect(widths.size).toBe(1); // aligned columns
  });

  it('wraps a terminal table wider than TERMINAL_WIDTH into blocks that repeat the model column', () => {
    const many = Array.from({ length: 12 }, (_, i) => `scenario-${i}`);
    const wide = summariseBench(['optmsm', 'shared-bottom.hyper'].flatMap((model) => [0, 1].map((seed) => {
      const r = run(model.split('.')[0], seed, 0.7 + seed / 100, 0.5, 0.6, model.split('.')[1]);
      return { ...r, test: { ...r.test, scenarios: Object.fromEntries(many.map((s) => [s, r.test.scenarios.home])) } };
    })));
    const lines = renderBenchTable(wide, 'text').trimEnd().split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(TERMINAL_WIDTH);
    const headers = lines.filter((l) => l.startsWith('model '));
    expect(headers.length).toBeGreaterThan(1);
    expect(headers.join(' ')).toContain('scenario-11');
    expect(lines.filter((l) => l.startsWith('shared-bottom.hyper '))).toHaveLength(headers.length);
  });

  it('omits the p-value column without the reference and marks ties on the shown value', () => {
    const noRef = summariseBench(
      [run('a', 0, 0.70001, 0.5, 0.6), run('b', 0, 0.70002, 0.5, 0.6)],
      { reference: 'optmsm' },
    );
    const md = renderBenchTable(noRef, 'markdown');
    expect(md).not.toContain('p vs');
    expect(md).toContain('| a | 1 | **0.7000** |');
    expect(md).toContain('| b | 1 | **0.7000** |');
  });
});
