// Finite-difference checks of whole layers, through params (grad/theta) and data inputs (grad/<input>).
import { describe, expect, it } from 'vitest';
import * as E from '../../src/engine/index.js';
import type { Tensor } from '../../src/engine/index.js';
import { type Arg, type VjpOptions, checkVjp as check } from './helpers.js';

/** Every composite must run in double precision (all its kernels have double versions). */
async function checkVjp(fn: (...xs: Tensor[]) => Tensor, args: Arg[], options?: VjpOptions) {
  const result = await check(fn, args, options);
  expect(result.float64).toBe(true);
  return result;
}

const x = (...shape: E.Dim[]): Arg => ({ shape });
const p = (...shape: number[]): Arg => ({ shape, param: true });
const ids = (...v: number[]): Arg => ({ shape: ['B'], dtype: 'int32', values: Int32Array.from(v) });

describe('composite layers against finite differences', () => {
  it('Linear', async () => {
    await checkVjp((xi, w, b) => E.linearOp(xi, w, b), [x('B', 5), p(5, 3), p(3)]);
  });

  it('2-layer MLP with a reused weight', async () => {
    const mlp = (xi: Tensor, w1: Tensor, b1: Tensor, w2: Tensor) => E.linearOp(E.relu(E.linearOp(xi, w1, b1)), w2);
    // w1 is used twice: once in the MLP and once in a penalty, so its gradient has two contributions.
    const fn = (xi: Tensor, w1: Tensor, b1: Tensor, w2: Tensor) => E.add(mlp(xi, w1, b1, w2), E.reduceSum(E.mul(w1, w1), [0, 1]));
    await checkVjp(fn, [x('B', 4), p(4, 6), p(6), p(6, 2)], { seed: 3 });
  });

  it('gated mixture: softmax gate over K stacked experts', async () => {
    const fn = (xi: Tensor, experts: Tensor, wg: Tensor) => {
      const h = E.tanh(E.matmul(E.unsqueeze(xi, 0), experts)); // [K, B, out]
      const gate = E.softmax(E.linearOp(xi, wg)); // [B, K]
      const mixed = E.matmul(E.unsqueeze(gate, 1), E.transpose(h, [1, 0, 2])); // [B, 1, out]
      return E.squeeze(mixed, 1);
    };
    await checkVjp(fn, [x('B', 4), p(3, 4, 2), p(4, 3)]);
  });

  it('batched per-sample hypernetwork layer', async () => {
    const fn = (xi: Tensor, c: Tensor, pp: Tensor) => {
      const w = E.reshape(E.matmul(c, pp), ['B', 3, 2]); // [B, n, m]
      return E.squeeze(E.matmul(E.unsqueeze(xi, 1), w), 1); // [B, m]
    };
    await checkVjp(fn, [x('B', 3), x('B', 4), p(4, 6)]);
  });

  it('per-scenario gathered parameters', async () => {
    const fn = (xi: Tensor, sid: Tensor, w: Tensor, b: Tensor) => {
      const wb = E.gather(w, sid); // [B, in, out]
      return E.add(E.squeeze(E.matmul(E.unsqueeze(xi, 1), wb), 1), E.gather(b, sid));
    };
    await checkVjp(fn, [x('B', 3), ids(2, 0, 2, 1), p(4, 3, 2), p(4, 2)], { batch: 4 });
  });

  it('per-scenario batch-statistics normalisation via oneHot', async () => {
    const S = 3;
    const fn = (xi: Tensor, sid: Tensor, gamma: Tensor, beta: Tensor) => {
      const oh = E.oneHot(sid, S); // [B, S]
      const counts = E.maximum(E.reduceSum(oh, [0]), 1); // [S]
      const perScenario = (v: Tensor) => E.matmul(oh, E.div(E.matmul(E.transpose(oh, [1, 0]), v), E.unsqueeze(counts, 1))); // [B, d]
      const xc = E.sub(xi, perScenario(xi));
      const variance = perScenario(E.mul(xc, xc));
      return E.add(E.mul(E.div(xc, E.sqrt(E.add(variance, 1e-3))), gamma), beta);
    };
    await checkVjp(fn, [x('B', 2), ids(0, 1, 0, 1, 1, 0), p(2), p(2)], { batch: 6 });
  });

  it('batch normalisation over the batch dim with reduceMean', async () => {
    const fn = (xi: Tensor) => {
      const xc = E.sub(xi, E.reduceMean(xi, [0], true));
      return E.div(xc, E.sqrt(E.add(E.reduceMean(E.mul(xc, xc), [0], true), 1e-3)));
    };
    await checkVjp(fn, [x('B', 3)], { batch: 5 });
  });

  it('dropout with a fed mask, and layerNorm after it', async () => {
    const { model } = await checkVjp((xi, g, b) => E.layerNorm(E.dropout(xi, 0.25), g, b), [x('B', 6), p(6), p(6)]);
    expect(model.dropoutMasks).toEqual([{ name: 'dropout/0', shape: ['B', 6], rate: 0.25 }]);
  });
});
