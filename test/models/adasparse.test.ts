// AdaSparse beyond the shared suite: α moves by Δα per training step, the sparsity ratio counts pruned
// neurons, the flexible regulariser penalises only a ratio outside [r_min, r_max], and its gradient reaches
// the pruners through the straight-through factors.
import { describe, expect, it } from 'vitest';
import { getModel } from '../../src/models/index.js';
import { Harness, makeBatch, TINY_CTX } from './harness.js';

const BASE = { hidden: [8, 4], dropout: 0, sparsity_lambda: 1, sparsity_min: 0.1, sparsity_max: 0.5 };

async function step(config: Record<string, unknown>) {
  const h = await Harness.create(getModel('adasparse'), { ...BASE, ...config });
  const result = await h.step(makeBatch(TINY_CTX, 32, 3));
  const pruners = h.compiled.params.filter((p) => p.name.startsWith('pruner.'));
  const prunerGrad = pruners.reduce((s, p) => s + result.gradTheta.subarray(p.offset, p.offset + p.size).reduce((a, g) => a + Math.abs(g), 0), 0);
  await h.release();
  return { ...result, prunerGrad };
}

describe('adasparse', () => {
  it('moves α by Δα per training step', async () => {
    const { next } = await step({ alpha: 2, delta_alpha: 0.25 });
    expect(next.alpha[0]).toBeCloseTo(2.25, 6);
  });

  it('counts pruned neurons and penalises a ratio outside [r_min, r_max]', async () => {
    // ε = 0: σ(αv) > 0 keeps every neuron (r = 0 < r_min = 0.1 on the 3 pruned layers: L_s = 3 · 0.1).
    const none = await step({ form: 'binarization', epsilon: 0 });
    expect(none.aux.pruned).toBe(0);
    expect(none.aux.sparsity).toBeCloseTo(0.3, 6);
    // ε = 1: σ(αv) < 1 prunes every neuron (r = 1 > r_max = 0.5: L_s = 3 · 0.5).
    const all = await step({ form: 'binarization', epsilon: 1 });
    expect(all.aux.pruned).toBe(1);
    expect(all.aux.sparsity).toBeCloseTo(1.5, 6);
    expect(all.prunerGrad).toBeGreaterThan(0);
    // Fusion prunes β σ(αv) < ε: with β = 2, ε = 2 prunes everything too.
    expect((await step({ form: 'fusion', epsilon: 2 })).aux.pruned).toBe(1);
  });

  it('has no sparsity terms for scaling, which prunes nothing', async () => {
    const scaling = await step({ form: 'scaling' });
    expect(Object.keys(scaling.aux)).toEqual([]);
  });
});
