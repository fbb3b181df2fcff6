// The report's plots as Vega-Lite specs, rendered to inline SVG by vega's headless renderer (no DOM, no canvas,
// no network). Vega-Lite because a plot is then a small declarative object: error bars, rules, layers and small
// multiples are built in, and a test can read the spec's data. vega and vega-lite are imported when a report is
// rendered, never at CLI startup.
import type { TopLevelSpec } from 'vega-lite';
import type { ReliabilityBin } from '../metrics/index.js';

const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  title: { fontSize: 13, anchor: 'start' as const, fontWeight: 'bold' as const },
};
const BEST = '#d62728';

/** Renders a spec to an SVG string (self-contained: text as <text>, no external fonts or images). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [{ View, parse }, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new View(parse(compile({ ...spec, config: CONFIG } as TopLevelSpec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A domain that starts at a round value below the data (AUC bars from 0 would hide every difference). */
function paddedDomain(values: number[], floor: number, ceil: number): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = Math.max((hi - lo) * 0.15, 0.005);
  return [Math.max(floor, Math.floor((lo - pad) * 100) / 100), Math.min(ceil, Math.ceil((hi + pad) * 100) / 100)];
}

export interface EpochPoint {
  epoch: number;
  train_loss: number | null;
  validation_auc: number | null;
  validation_logloss: number | null;
}

/** Train loss, validation AUC and validation LogLoss per epoch, the best epoch marked in each. */
export function learningCurvesSpec(epochs: EpochPoint[], bestEpoch: number | null): TopLevelSpec {
  const panel = (field: keyof EpochPoint, title: string) => ({
    width: 240,
    height: 170,
    title,
    layer: [
      {
        data: { values: epochs.filter((e) => e[field] !== null) },
        mark: { type: 'line' as const, point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' as const, axis: { tickMinStep: 1 }, scale: { domain: [1, Math.max(1, epochs.length)] } },
          y: { field, type: 'quantitative' as const, title, scale: { zero: false } },
        },
      },
      ...(bestEpoch === null
        ? []
        : [
            {
              data: { values: [{ epoch: bestEpoch, label: `best epoch ${bestEpoch}` }] },
              layer: [
                { mark: { type: 'rule' as const, color: BEST, strokeDash: [4, 3] } },
                {
                  // Beside the rule, on the side with room (a best epoch near the end labels to its left).
                  mark: { type: 'text' as const, color: BEST, baseline: 'top' as const, y: 2, ...(bestEpoch > epochs.length / 2 ? { align: 'right' as const, dx: -3 } : { align: 'left' as const, dx: 3 }) },
                  encoding: { text: { field: 'label' } },
                },
              ],
              encoding: { x: { field: 'epoch', type: 'quantitative' as const } },
            },
          ]),
    ],
  });
  return {
    hconcat: [panel('train_loss', 'train loss'), panel('validation_auc', 'validation AUC'), panel('validation_logloss', 'validation LogLoss')],
  } as TopLevelSpec;
}

export interface ScenarioAuc {
  scenario: string;
  series: string;
  auc: number;
}

/** Test AUC per scenario (and overall) as grouped bars: the model, and the oracle beside it where known. */
export function scenarioAucSpec(points: ScenarioAuc[], scenarios: string[]): TopLevelSpec {
  return {
    width: { step: 90 },
    height: 220,
    title: 'test AUC per scenario',
    data: { values: points },
    encoding: {
      x: { field: 'scenario', type: 'nominal', sort: scenarios, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'series', sort: ['model', 'oracle'] },
      y: { field: 'auc', type: 'quantitative', title: 'AUC', scale: { domain: paddedDomain(points.map((p) => p.auc), 0, 1) } },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: ['model', 'oracle'], range: ['#4c78a8', '#bbbbbb'] } },
    },
    layer: [
      { mark: { type: 'bar', clip: true } },
      { mark: { type: 'text', dy: -4, fontSize: 10 }, encoding: { text: { field: 'auc', format: '.4f' } } },
    ],
  } as TopLevelSpec;
}

/** One reliability diagram per scenario: observed click rate against mean prediction per bin, beside y = x. */
export function reliabilitySpec(curves: { scenario: string; bins: ReliabilityBin[] }[]): TopLevelSpec {
  const all = curves.flatMap((c) => c.bins.flatMap((b) => [b.mean_prediction, b.observed_ctr]));
  const top = Math.min(1, Math.ceil((Math.max(0.05, ...all) + 0.01) * 20) / 20);
  const axis = (field: string, title: string) => ({ field, type: 'quantitative' as const, title, scale: { domain: [0, top] } });
  return {
    columns: 4,
    concat: curves.map(({ scenario, bins }) => ({
      width: 170,
      height: 170,
      title: `${scenario} (${bins.reduce((n, b) => n + b.rows, 0).toLocaleString('en-US')} rows)`,
      layer: [
        {
          data: { values: [{ x: 0, y: 0 }, { x: top, y: top }] },
          mark: { type: 'line', color: '#999', strokeDash: [3, 3] },
          encoding: { x: axis('x', 'mean prediction'), y: axis('y', 'observed CTR') },
        },
        {
          data: { values: bins },
          mark: { type: 'line', point: true, color: '#4c78a8' },
          encoding: { x: axis('mean_prediction', 'mean prediction'), y: axis('observed_ctr', 'observed CTR') },
        },
      ],
    })),
  } as TopLevelSpec;
}

export interface BenchAucPoint {
  model: string;
  scenario: string;
  mean: number;
  low: number;
  high: number;
  oracle: number | null;
}

/** Mean test AUC over seeds per model, ± one std as error bars, a panel per scenario with the oracle as a rule. */
export function benchAucSpec(points: BenchAucPoint[], scenarios: string[], models: string[]): TopLevelSpec {
  const y = { field: 'model', type: 'nominal' as const, sort: models, title: null };
  return {
    data: { values: points },
    facet: { field: 'scenario', type: 'nominal', sort: scenarios, title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } },
    columns: 5,
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 200,
      height: { step: 22 },
      layer: [
        { mark: { type: 'rule', color: '#999', strokeDash: [4, 3] }, encoding: { x: { field: 'oracle', type: 'quantitative', aggregate: 'max' } } },
        {
          mark: { type: 'rule', color: '#555', strokeWidth: 1.5 },
          encoding: { y, x: { field: 'low', type: 'quantitative', scale: { zero: false }, title: 'test AUC' }, x2: { field: 'high' } },
        },
        { mark: { type: 'point', filled: true, size: 60 }, encoding: { y, x: { field: 'mean', type: 'quantitative' }, color: { field: 'model', legend: null } } },
      ],
    },
  } as TopLevelSpec;
}

export interface DeltaPoint {
  label: string;
  delta: number;
  low: number;
  high: number;
  significant: boolean;
}

/** Each row's paired test-AUC difference to the reference with its 95% confidence interval. */
export function deltaSpec(points: DeltaPoint[], reference: string): TopLevelSpec {
  const order = [...points].sort((a, b) => b.delta - a.delta).map((p) => p.label);
  return {
    width: 420,
    height: { step: 20 },
    title: `test AUC minus ${reference}'s, paired over seeds (95% CI)`,
    data: { values: points },
    layer: [
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#999' }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: order, title: null },
          x: { field: 'low', type: 'quantitative', title: 'Δ test AUC' },
          x2: { field: 'high' },
          color: { field: 'significant', type: 'nominal', scale: { domain: [true, false], range: ['#4c78a8', '#bbbbbb'] }, title: 'CI excludes 0' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 45 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: order },
          x: { field: 'delta', type: 'quantitative' },
          color: { field: 'significant', type: 'nominal' },
        },
      },
    ],
  } as TopLevelSpec;
}

export interface CostPoint {
  label: string;
  samplesPerSecond: number | null;
  dense: number;
  embedding: number;
}

/** Training throughput and parameter counts per row. */
export function costSpec(points: CostPoint[]): TopLevelSpec {
  const params = points.flatMap((p) => [
    { label: p.label, kind: 'dense', count: p.dense },
    { label: p.label, kind: 'embedding', count: p.embedding },
  ]);
  const labels = points.map((p) => p.label);
  return {
    hconcat: [
      {
        width: 260,
        height: { step: 18 },
        title: 'training throughput',
        data: { values: points.filter((p) => p.samplesPerSecond !== null) },
        mark: 'bar',
        encoding: {
          y: { field: 'label', type: 'nominal', sort: labels, title: null },
          x: { field: 'samplesPerSecond', type: 'quantitative', title: 'train samples/s' },
        },
      },
      {
        width: 260,
        height: { step: 18 },
        title: 'parameters',
        data: { values: params },
        mark: 'bar',
        encoding: {
          y: { field: 'label', type: 'nominal', sort: labels, title: null },
          x: { field: 'count', type: 'quantitative', title: 'parameters', stack: 'zero' },
          color: { field: 'kind', type: 'nominal', title: null, scale: { range: ['#4c78a8', '#9ecae9'] } },
        },
      },
    ],
  } as TopLevelSpec;
}
