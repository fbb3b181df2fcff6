// AdaptDHM beyond the shared suite: the centre update is the dynamic-routing step by hand, and a sample only
// meets the parameters of the cluster its embedding is routed to.
import { afterAll, describe, expect, it } from 'vitest';
import { getModel } from '../../src/models/index.js';
import { Harness, makeBatch, TINY_CTX, type Batch } from './harness.js';

const CONFIG = { hidden: [8], clusters: 2, routing_iterations: 1, beta: 0.5 };

/** x = every field in `fields` order: user, item, genre (E[0:12]), age (numeric), scenario (E[12:16]). */
function rows(batch: Batch): number[][] {
  const width = batch.E.length / batch.size;
  return [...Array(batch.size).keys()].map((b) => {
    const e = [...batch.E.subarray(b * width, (b + 1) * width)];
    return [...e.slice(0, 12), batch.numeric[b], ...e.slice(12)];
  });
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const unit = (a: number[]) => a.map((v) => v / Math.sqrt(dot(a, a) + 1e-12));

describe('adaptdhm', () => {
  const batch = makeBatch(TINY_CTX, 40, 5);
  let h: Harness;
  afterAll(async () => h.release());

  it('updates the centres by one dynamic-routing step: c_k ← normalize(β c_k + (1 − β) Σ_i r_ik x_i)', async () => {
    h = await Harness.create(getModel('adaptdhm'), CONFIG);
    const D = 17;
    const stored = h.buffers.centres;
    const c = [0, 1].map((k) => unit([...stored.subarray(k * D, (k + 1) * D)]));
    const x = rows(batch);
    const sums = c.map(() => new Array<number>(D).fill(0));
    for (const xi of x) {
      const s = c.map((ck) => dot(xi, ck));
      const z = s.map((v) => Math.exp(v - Math.max(...s)));
      z.forEach((zk, k) => xi.forEach((v, d) => { sums[k][d] += (zk / (z[0] + z[1])) * v; }));
    }
    const want = c.flatMap((ck, k) => unit(ck.map((v, d) => 0.5 * v + 0.5 * sums[k][d])));
    const { next } = await h.step(batch);
    want.forEach((v, i) => expect(next.centres[i]).toBeCloseTo(v, 5));
  });

  it("routes each sample to its cluster: another cluster's parameters never change its prediction", async () => {
    const C = 2;
    const before = await h.predict(batch);
    const D = 17;
    const c = [0, 1].map((k) => unit([...h.buffers.centres.subarray(k * D, (k + 1) * D)]));
    const cluster = rows(batch).map((xi) => (dot(xi, c[1]) > dot(xi, c[0]) ? 1 : 0));
    expect(new Set(cluster).size).toBe(2);
    const theta = Float32Array.from(h.theta);
    let touched = 0;
    for (const p of h.compiled.params) {
      if (p.shape[0] !== C) continue;
      const per = p.size / C;
      for (let j = 0; j < per; j += 1) theta[p.offset + per + j] += 0.5; // cluster 1's slice
      touched += 1;
    }
    expect(touched).toBe(4); // scenario_weight and scenario_bias of the two layers
    const after = await h.predict(batch, theta);
    for (let i = 0; i < batch.size; i += 1) {
      if (cluster[i] === 1) expect(after[i], `row ${i} (cluster 1)`).not.toBe(before[i]);
      else expect(after[i], `row ${i} (cluster 0)`).toBe(before[i]);
    }
  });
});
