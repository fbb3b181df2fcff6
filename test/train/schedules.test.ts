import { describe, expect, it } from 'vitest';
import { createLrSchedule, lrScheduleSchema } from '../../src/train/schedules.js';

describe('lrScheduleSchema', () => {
  it('fills defaults and maps snake_case to camelCase', () => {
    expect(lrScheduleSchema.parse({ name: 'constant' })).toEqual({ name: 'constant' });
    expect(lrScheduleSchema.parse({ name: 'step' })).toEqual({ name: 'step', stepEpochs: 10, gamma: 0.5 });
    expect(lrScheduleSchema.parse({ name: 'cosine', warmup_steps: 100 })).toEqual({
      name: 'cosine',
      warmupSteps: 100,
      minLr: 0,
    });
    expect(lrScheduleSchema.parse({ name: 'reduce_on_plateau', patience: 2 })).toEqual({
      name: 'reduce_on_plateau',
      factor: 0.5,
      patience: 2,
      threshold: 1e-4,
      minLr: 1e-6,
    });
  });

  it('rejects unknown names and keys', () => {
    expect(() => lrScheduleSchema.parse({ name: 'linear' })).toThrow();
    expect(() => lrScheduleSchema.parse({ name: 'step', gama: 0.1 })).toThrow();
  });
});

describe('createLrSchedule', () => {
  const ctx = { baseLr: 0.01, totalSteps: 110 };

  it('constant', () => {
    const s = createLrSchedule(lrScheduleSchema.parse({ name: 'constant' }), ctx);
    expect([s.lrAt(0, 0), s.lrAt(999, 40)]).toEqual([0.01, 0.01]);
  });

  it('step multiplies by gamma every step_epochs epochs', () => {
    const s = createLrSchedule(lrScheduleSchema.parse({ name: 'step', step_epochs: 2, gamma: 0.1 }), ctx);
    expect([0, 1, 2, 3, 4].map((e) => s.lrAt(0, e))).toEqual([0.01, 0.01, 0.01 * 0.1, 0.01 * 0.1, 0.01 * 0.1 ** 2]);
    expect(s.factorAt(0, 2)).toBeCloseTo(0.1, 15);
  });

  it('cosine warms up linearly, peaks at base lr and ends at min_lr', () => {
    const s = createLrSchedule(lrScheduleSchema.parse({ name: 'cosine', warmup_steps: 10, min_lr: 0.001 }), ctx);
    expect(s.lrAt(0, 0)).toBeCloseTo(0.001, 15);
    expect(s.lrAt(4, 0)).toBeCloseTo(0.005, 15);
    expect(s.lrAt(9, 0)).toBeCloseTo(0.01, 15);
    expect(s.lrAt(10, 0)).toBeCloseTo(0.01, 15);
    expect(s.lrAt(59.5, 0)).toBeCloseTo(0.001 + 0.5 * 0.009, 12); // half-way through the decay
    expect(s.lrAt(109, 0)).toBeCloseTo(0.001, 15);
    expect(s.lrAt(500, 0)).toBeCloseTo(0.001, 15);
    for (let i = 11; i < 110; i++) expect(s.lrAt(i, 0)).toBeLessThanOrEqual(s.lrAt(i - 1, 0));
  });

  it('reduce_on_plateau cuts after more than patience epochs without AUC gain, down to min_lr', () => {
    const cfg = lrScheduleSchema.parse({ name: 'reduce_on_plateau', factor: 0.1, patience: 1, min_lr: 0.00005 });
    const s = createLrSchedule(cfg, ctx);
    const lrs: number[] = [];
    for (const auc of [0.7, 0.72, 0.72, 0.71, 0.73, null, 0.7, 0.7, 0.7, 0.7]) {
      s.onEpochEnd(auc);
      lrs.push(s.lrAt(0, 0));
    }
    // 0.72 → 0.72 (1 bad) → 0.71 (2 bad: cut) → 0.73 best → null, 0.7 (cut) → 0.7, 0.7 (cut, clamped) → 0.7
    expect(lrs.map((x) => +x.toPrecision(6))).toEqual([0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.0001, 0.0001, 0.00005, 0.00005]);
  });

  it('reduce_on_plateau state survives a resume', () => {
    const cfg = lrScheduleSchema.parse({ name: 'reduce_on_plateau', patience: 0 });
    const a = createLrSchedule(cfg, ctx);
    a.onEpochEnd(0.7);
    a.onEpochEnd(0.69);
    const b = createLrSchedule(cfg, ctx);
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    a.onEpochEnd(0.6);
    b.onEpochEnd(0.6);
    expect(b.getState()).toEqual(a.getState());
    expect(b.lrAt(0, 0)).toBeCloseTo(0.0025, 15);
  });
});
