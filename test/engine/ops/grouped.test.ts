// Grouped routing ops in float32 (the finite-difference cases are in grouped-cases.ts): values against a
// direct per-row computation, empty groups, the in-graph sort, and stopGradient's dropped gradient.
import { describe, expect, it } from 'vitest';
import * as E from '../../../src/engine/index.js';
import { evalForward, runGraph, uniform } from '../helpers.js';

const B = 7;
const S = 4;
const IN = 3;
const OUT = 2;
// Rows 0..2 scenario 0, 3..6 scenario 2; scenarios 1 and 3 have no rows.
const OFFSETS = Int32Array.of(0, 3, 3, 7, 7);
const rowScenario = (b: number) => [...OFFSETS].findIndex((o, s) => s < S && b >= o && b < OFFSETS[s + 1]);

describe('groupedMatmul', () => {
  it('multiplies each group by its own scenario weights, with empty groups', async () => {
    const x = uniform(B * IN, 1);
    const w = uniform(S * IN * OUT, 2);
    const y = await evalForward((xs, ws, o) => E.groupedMatmul(xs, ws, o), [
      { shape: ['B', IN], values: x }, { shape: [S, IN, OUT], values: w }, { shape: [S + 1], dtype: 'int32', values: OFFSETS },
    ], B);
    expect(y.length).toBe(B * OUT);
    for (let b = 0; b < B; b++) {
      const s = rowScenario(b);
      for (let j = 0; j < OUT; j++) {
        let want = 0;
        for (let i = 0; i < IN; i++) want += x[b * IN + i] * w[(s * IN + i) * OUT + j];
        expect(y[b * OUT + j]).toBeCloseTo(want, 5);
      }
    }
  });

  it('groupedOuter sums each group and gives zeros to an empty one', async () => {
    const a = uniform(B * IN, 3);
    const g = uniform(B * OUT, 4);
    const y = await evalForward((as, gs, o) => E.groupedOuter(as, gs, o), [
      { shape: ['B', IN], values: a }, { shape: ['B', OUT], values: g }, { shape: [S + 1], dtype: 'int32', values: OFFSETS },
    ], B);
    expect(y.length).toBe(S * IN * OUT);
    for (let s = 0; s < S; s++) {
      for (let i = 0; i < IN; i++) {
        for (let j = 0; j < OUT; j++) {
          let want = 0;
          for (let b = OFFSETS[s]; b < OFFSETS[s + 1]; b++) want += a[b * IN + i] * g[b * OUT + j];
          expect(y[(s * IN + i) * OUT + j]).toBeCloseTo(want, 5);
        }
      }
    }
  });

  it('handles a batch that is all one scenario', async () => {
    const x = uniform(B * IN, 5);
    const w = uniform(S * IN * OUT, 6);
    const y = await evalForward((xs, ws, o) => E.groupedMatmul(xs, ws, o), [
      { shape: ['B', IN], values: x }, { shape: [S, IN, OUT], values: w }, { shape: [S + 1], dtype: 'int32', values: Int32Array.of(0, 0, 0, B, B) },
    ], B);
    let want = 0;
    for (let i = 0; i < IN; i++) want += x[i] * w[(2 * IN + i) * OUT];
    expect(y[0]).toBeCloseTo(want, 5);
  });
});

describe('in-graph sort', () => {
  it('argsort is stable and ascending; permuteRows by the inverse restores the order', async () => {
    const key = Int32Array.of(2, 0, 1, 0, 2, 2, 1);
    const perm = await evalForward((k) => E.cast(E.argsort(k), 'float32'), [{ shape: ['B'], dtype: 'int32', values: key }], B);
    expect([...perm]).toEqual([1, 3, 2, 6, 0, 4, 5]);
    const x = uniform(B * 2, 7);
    const back = await evalForward((xs, k) => {
      const p = E.argsort(k);
      const inv = E.invertPermutation(p);
      return E.permuteRows(E.permuteRows(xs, p, inv), inv, p);
    }, [{ shape: ['B', 2], values: x }, { shape: ['B'], dtype: 'int32', values: key }], B);
    expect([...back]).toEqual([...x]);
  });
});

describe('stopGradient', () => {
  it('passes the value and drops the gradient: d/dx sum(x · sg(x)) = sg(x)', async () => {
    const model = E.compile(() => {
      const x = E.input('x', ['B', 3]);
      const y = E.mul(x, E.stopGradient(x));
      return { loss: E.reduceSum(y, [0, 1]), outputs: { y }, gradInputs: ['x'] };
    });
    const x = uniform(2 * 3, 8);
    const out = await runGraph(model.training, { x: { values: x, shape: ['B', 3] } }, 2);
    for (let i = 0; i < x.length; i++) {
      expect(out['grad/x'][i]).toBeCloseTo(x[i], 6);
      expect(out['out/y'][i]).toBeCloseTo(x[i] * x[i], 6);
    }
  });
});
