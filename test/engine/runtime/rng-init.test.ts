import { describe, expect, it } from 'vitest';
import { fans, fillInit } from '../../../src/engine/runtime/init.js';
import { Rng } from '../../../src/engine/runtime/rng.js';

function stats(x: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / x.length), min, max };
}

describe('Rng', () => {
  it('is deterministic per seed and restores its state exactly', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect([a.nextU32(), a.nextU32()]).toEqual([b.nextU32(), b.nextU32()]);
    a.nextNormal(); // leaves a spare Box-Muller value pending
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const expected = [a.nextNormal(), a.nextFloat(), a.nextNormal()];
    const c = Rng.fromState(saved);
    expect([c.nextNormal(), c.nextFloat(), c.nextNormal()]).toEqual(expected);
    expect(new Rng(43).nextU32()).not.toBe(new Rng(42).nextU32());
  });

  it('fills dropout keep-masks at the asked rate, continuing the same stream', () => {
    const rng = new Rng(3);
    const mask = new Float32Array(200_001);
    rng.fillKeepMask(mask, mask.length, 0.3);
    const kept = mask.reduce((a, v) => a + v, 0);
    expect(new Set(mask)).toEqual(new Set([0, 1]));
    expect(kept / mask.length).toBeCloseTo(0.7, 2);
    // Two 16-bit halves per 32-bit draw: 100,001 draws, after which both generators agree again.
    const other = new Rng(3);
    for (let i = 0; i < 100_001; i++) other.nextU32();
    expect(rng.nextU32()).toBe(other.nextU32());
    const none = new Float32Array(10);
    new Rng(1).fillKeepMask(none, 10, 0);
    expect(Array.from(none)).toEqual(Array(10).fill(1));
  });

  it('draws uniform floats in [0, 1) and standard normals', () => {
    const rng = new Rng(5);
    const u = new Float32Array(100_000).map(() => rng.nextFloat());
    const su = stats(u);
    expect(su.min).toBeGreaterThanOrEqual(0);
    expect(su.max).toBeLessThan(1);
    expect(su.mean).toBeCloseTo(0.5, 2);
    const n = new Float32Array(100_000).map(() => rng.nextNormal());
    const sn = stats(n);
    expect(Math.abs(sn.mean)).toBeLessThan(0.02);
    expect(sn.std).toBeCloseTo(1, 1);
  });
});

describe('fillInit', () => {
  const shape = [4, 200, 300]; // a stack of 4 [in 200, out 300] weights
  const size = 4 * 200 * 300;
  const cases = [
    { init: { kind: 'xavier_uniform' as const }, std: Math.sqrt(6 / 500) / Math.sqrt(3) },
    { init: { kind: 'xavier_normal' as const }, std: Math.sqrt(2 / 500) },
    { init: { kind: 'he_uniform' as const }, std: Math.sqrt(6 / 200) / Math.sqrt(3) },
    { init: { kind: 'he_normal' as const }, std: Math.sqrt(2 / 200) },
    { init: { kind: 'normal' as const, std: 0.5, mean: 2 }, std: 0.5, mean: 2 },
    { init: { kind: 'uniform' as const, low: -1, high: 3 }, std: 4 / Math.sqrt(12), mean: 1 },
  ];
  for (const c of cases) {
    it(`${c.init.kind} has the expected mean and std`, () => {
      const x = new Float32Array(size);
      fillInit(x, shape, c.init, new Rng(9));
      const s = stats(x);
      expect(s.mean).toBeCloseTo(c.mean ?? 0, 2);
      expect(s.std / c.std).toBeCloseTo(1, 2);
    });
  }

  it('bounds uniform kinds and fills constants', () => {
    const x = new Float32Array(size);
    fillInit(x, shape, { kind: 'xavier_uniform' }, new Rng(1));
    const bound = Math.sqrt(6 / 500);
    expect(stats(x).max).toBeLessThanOrEqual(bound);
    expect(stats(x).min).toBeGreaterThanOrEqual(-bound);
    fillInit(x, shape, { kind: 'constant', value: 0.25 }, new Rng(1));
    expect(stats(x)).toMatchObject({ min: 0.25, max: 0.25 });
    fillInit(x, shape, { kind: 'ones' }, new Rng(1));
    expect(x[size - 1]).toBe(1);
    fillInit(x, shape, { kind: 'zeros' }, new Rng(1));
    expect(x[0]).toBe(0);
  });

  it('takes fans from the last two dimensions', () => {
    expect(fans([4, 200, 300])).toEqual({ fanIn: 200, fanOut: 300 });
    expect(fans([64])).toEqual({ fanIn: 64, fanOut: 64 });
    expect(fans([])).toEqual({ fanIn: 1, fanOut: 1 });
  });
});
