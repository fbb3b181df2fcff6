// The one MLP builder over its four weight stacks (none, K experts, S scenarios, S × K) against a plain
// JavaScript MLP on the matching weight slice, with layer norm and with batch norm (whose statistics are
// per stacked MLP: per expert, per scenario partition).
import { describe, expect, it } from 'vitest';
import { compile, fillInit, input, reduceSum, mul, Rng, Session, type Tensor } from '../../../src/engine/index.js';
import { mlp, type Norm, type Stack } from '../../../src/models/layers/mlp.js';

const B = 7;
const IN = 3;
const HIDDEN = 4;
const OUT = 2;
const S = 3;
const K = 2;
const x = Float32Array.from({ length: B * IN }, (_, i) => Math.sin(i * 1.7) * 2);
const scenario = Int32Array.from([0, 2, 1, 0, 2, 2, 0]);

/** Forward of the builder on x [B, in], the parameters by name, and their names with shapes. */
async function run(stack: Stack, norm: Norm) {
  const compiled = compile(() => {
    const xs = input('x', ['B', IN]);
    const sc = input('scenario', ['B'], 'int32');
    const options = { hidden: [HIDDEN], outputDim: OUT, norm };
    const y: Tensor = stack.scenarios === undefined
      ? mlp('net', IN, options, { experts: stack.experts })(xs)
      : mlp('net', IN, options, { scenarios: stack.scenarios, experts: stack.experts })(xs, { scenario: sc, groups: null });
    return { loss: reduceSum(mul(y, y), [...Array(y.rank).keys()]), outputs: { y } };
  });
  const rng = new Rng(3);
  const theta = new Float32Array(compiled.thetaSize);
  for (const p of compiled.params) fillInit(theta.subarray(p.offset, p.offset + p.size), p.shape, p.init, rng);
  // Non-trivial affine terms so that a wrong slice shows.
  for (const p of compiled.params) if (/gamma|beta/.test(p.name)) for (let j = 0; j < p.size; j += 1) theta[p.offset + j] = 0.5 + 0.1 * j;
  const session = await Session.create(compiled.training, { threads: 1 });
  const feeds: Record<string, { data: Float32Array | Int32Array; shape: number[]; dtype?: 'int32' }> = {
    x: { data: x, shape: [B, IN] }, scenario: { data: scenario, shape: [B], dtype: 'int32' }, theta: { data: theta, shape: [theta.length] },
  };
  for (const b of compiled.buffers) feeds[b.name] = { data: new Float32Array(b.size).fill(b.name.endsWith('var') ? 1 : 0), shape: b.shape };
  const out = await session.run(feeds);
  await session.release();
  const param = (name: string) => {
    const p = compiled.params.find((q) => q.name === name);
    return p ? { values: theta.subarray(p.offset, p.offset + p.size), shape: p.shape } : null;
  };
  return { y: out['out/y'].data as Float32Array, param, names: compiled.params.map((p) => `${p.name}:${p.shape.join('x')}`) };
}

/** Row-major slice `index` of a stacked tensor whose trailing `inner` elements form one member. */
const member = (values: Float32Array, index: number, inner: number) => values.subarray(index * inner, (index + 1) * inner);

function dense(rows: number[][], w: Float32Array, b: Float32Array | null, m: number): number[][] {
  return rows.map((r) => Array.from({ length: m }, (_, j) => r.reduce((s, v, i) => s + v * w[i * m + j], b ? b[j] : 0)));
}

function normalise(rows: number[][], norm: Norm, gamma: Float32Array | null, beta: Float32Array | null): number[][] {
  if (norm === 'none') return rows;
  const eps = 1e-5;
  if (norm === 'layer') {
    return rows.map((r) => {
      const mean = r.reduce((a, v) => a + v, 0) / r.length;
      const variance = r.reduce((a, v) => a + (v - mean) ** 2, 0) / r.length;
      return r.map((v, j) => ((v - mean) / Math.sqrt(variance + eps)) * gamma![j] + beta![j]);
    });
  }
  const n = rows[0].length;
  const mean = Array.from({ length: n }, (_, j) => rows.reduce((a, r) => a + r[j], 0) / rows.length);
  const variance = Array.from({ length: n }, (_, j) => rows.reduce((a, r) => a + (r[j] - mean[j]) ** 2, 0) / rows.length);
  return rows.map((r) => r.map((v, j) => ((v - mean[j]) / Math.sqrt(variance[j] + eps)) * gamma![j] + beta![j]));
}

/**
 * The reference: for each stacked member (s, k), the rows that meet it go through Linear → norm → ReLU →
 * Linear with that member's slices. Batch statistics are over those rows (a scenario's rows, all rows for K).
 */
function reference(stack: Stack, norm: Norm, param: Awaited<ReturnType<typeof run>>['param']): number[][][] {
  const members = (stack.scenarios ?? 1) * (stack.experts ?? 1);
  const rows = [...Array(B).keys()];
  const result: number[][][] = rows.map(() => []);
  for (let m = 0; m < members; m += 1) {
    const s = stack.scenarios === undefined ? 0 : Math.floor(m / (stack.experts ?? 1));
    const k = m % (stack.experts ?? 1);
    const mine = rows.filter((r) => stack.scenarios === undefined || scenario[r] === s);
    if (mine.length === 0) continue;
    const get = (name: string, inner: number) => {
      const p = param(name);
      return p ? member(p.values, m, inner) : null;
    };
    const input = mine.map((r) => Array.from(x.subarray(r * IN, (r + 1) * IN)));
    let h = dense(input, get('net.0.weight', IN * HIDDEN)!, get('net.0.bias', HIDDEN), HIDDEN);
    // Norm affine terms: one [units] block per member; a partitioned (scenario) batch norm stores them as
    // scenario_gamma [S, K·units].
    const partitioned = norm === 'batch' && stack.scenarios !== undefined;
    const affine = (name: string) => (partitioned
      ? member(param(`net.0.norm.scenario_${name}`)!.values, s, HIDDEN * (stack.experts ?? 1)).subarray(k * HIDDEN, (k + 1) * HIDDEN)
      : get(`net.0.norm.${name}`, HIDDEN));
    h = normalise(h, norm, norm === 'none' ? null : affine('gamma'), norm === 'none' ? null : affine('beta'));
    h = h.map((r) => r.map((v) => Math.max(v, 0)));
    const y = dense(h, get('net.out.weight', HIDDEN * OUT)!, get('net.out.bias', OUT), OUT);
    mine.forEach((r, i) => { result[r][k] = y[i]; });
  }
  return result;
}

const STACKS: [string, Stack][] = [['none', {}], ['K experts', { experts: K }], ['S scenarios', { scenarios: S }], ['S × K', { scenarios: S, experts: K }]];

describe.each(STACKS)('mlp with stack %s', (_label, stack) => {
  it.each(['none', 'layer', 'batch'] as const)('norm %s equals the plain MLP on its weight slice', async (norm) => {
    const { y, param, names } = await run(stack, norm);
    const lead = [...(stack.scenarios ? [S] : []), ...(stack.experts ? [K] : [])];
    expect(names[0]).toBe(`net.0.weight:${[...lead, IN, HIDDEN].join('x')}`);
    // A bias before batch norm would be cancelled by its mean subtraction, so there is none.
    expect(names.some((n) => n.startsWith('net.0.bias'))).toBe(norm !== 'batch');
    const want = reference(stack, norm, param);
    const experts = stack.experts ?? 1;
    for (let r = 0; r < B; r += 1) {
      for (let k = 0; k < experts; k += 1) {
        for (let j = 0; j < OUT; j += 1) {
          expect(y[(r * experts + k) * OUT + j], `row ${r} expert ${k} unit ${j}`).toBeCloseTo(want[r][k][j], 4);
        }
      }
    }
  });
});
