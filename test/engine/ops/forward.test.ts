// Hand-checked forward values (broadcasting, large and NaN inputs) and the text of shape errors.
import { describe, expect, it } from 'vitest';
import * as E from '../../../src/engine/index.js';
import { OptmsmError } from '../../../src/errors.js';
import { evalForward } from '../helpers.js';

const f32 = (...v: number[]) => Float32Array.from(v);
const close = (got: Float32Array, want: number[], tol = 1e-6) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => (Number.isNaN(w) ? expect(got[i]).toBeNaN() : expect(got[i]).toBeCloseTo(w, -Math.log10(tol))));
};

describe('forward values', () => {
  it('broadcasts [2,1] + [3] to [2,3]', async () => {
    const y = await evalForward((a, b) => E.add(a, b), [{ shape: [2, 1], values: f32(10, 20) }, { shape: [3], values: f32(1, 2, 3) }]);
    close(y, [11, 12, 13, 21, 22, 23]);
  });

  it('propagates NaN through add and relu, and clamps with maximum', async () => {
    const y = await evalForward((x) => E.relu(E.add(x, 1)), [{ shape: [3], values: f32(NaN, -5, 2) }]);
    close(y, [NaN, 0, 3]);
    close(await evalForward((x) => E.minimum(E.maximum(x, -1), 1), [{ shape: [3], values: f32(-7, 0.5, 9) }]), [-1, 0.5, 1]);
  });

  it('computes BCE with logits stably for large logits', async () => {
    const z = f32(100, -100, 0, 2);
    const y = await evalForward((a, b) => E.bceWithLogits(a, b), [{ shape: [4], values: z }, { shape: [4], values: f32(0, 0, 1, 1) }]);
    close(y, [100, 0, Math.log(2), Math.log1p(Math.exp(-2))], 1e-5);
  });

  it('softmax of large values and layerNorm of a row', async () => {
    close(await evalForward((x) => E.softmax(x), [{ shape: [1, 3], values: f32(1000, 1000, 1000) }]), [1 / 3, 1 / 3, 1 / 3]);
    const ln = await evalForward((x) => E.layerNorm(x, E.constant([1, 1], [2]), E.constant([0, 0], [2]), -1, 0), [{ shape: [1, 2], values: f32(1, 3) }]);
    close(ln, [-1, 1], 1e-5);
  });

  it('gathers per-scenario rows and builds one-hot rows', async () => {
    const table = () => E.constant([0, 1, 10, 11, 20, 21], [3, 2]);
    close(await evalForward((i) => E.gather(table(), i), [{ shape: ['B'], dtype: 'int32', values: Int32Array.of(2, 0) }], 2), [20, 21, 0, 1]);
    close(await evalForward((i) => E.oneHot(i, 3), [{ shape: [2], dtype: 'int32', values: Int32Array.of(1, 2) }]), [0, 1, 0, 0, 0, 1]);
  });

  it('matmul broadcasts leading dims and reduceMean divides by the batch size', async () => {
    const y = await evalForward((a, b) => E.matmul(a, b), [{ shape: [2, 1, 2], values: f32(1, 2, 3, 4) }, { shape: [2, 1], values: f32(1, 1) }]);
    close(y, [3, 7]);
    close(await evalForward((x) => E.reduceMean(x, [0]), [{ shape: ['B', 2], values: f32(1, 2, 3, 4, 5, 9) }], 3), [3, 5]);
  });
});

describe('shape errors', () => {
  it('names the op, both shapes and the model line', () => {
    let error: unknown;
    try {
      E.compile(() => {
        const a = E.input('a', ['B', 3]);
        const b = E.input('b', [4]);
        const y = E.add(a, b); // the line the error must name
        return { loss: E.reduceSum(y, [0, 1]), outputs: {} };
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptmsmError);
    const err = error as OptmsmError;
    expect(err.code).toBe('E_ENGINE_SHAPE');
    expect(err.message).toMatch(/^add: shapes that broadcast; got \[B, 3\] float32, \[4\] float32 at .*forward\.test\.ts:\d+:\d+$/);
    expect(err.location).toMatch(/forward\.test\.ts:\d+/);
  });

  it('names the model line for an error raised inside layerNorm', () => {
    const build = () => {
      const x = E.input('x', ['B', 4]);
      const y = E.layerNorm(x, E.param('g', [3], { kind: 'ones' }), E.param('b', [4], { kind: 'zeros' })); // line to name
      return { loss: E.reduceSum(y, [0, 1]), outputs: {} };
    };
    expect(() => E.compile(build)).toThrow(/^layerNorm: x \[\.\., D\] .*got \[B, 4\] float32, \[3\] float32, \[4\] float32 at .*forward\.test\.ts:\d+:\d+$/);
  });

  it('rejects a matmul with mismatched inner dims and a bad reshape', () => {
    const run = (fn: () => void) => () => E.compile(() => (fn(), { loss: E.constant([0], []), outputs: {} }));
    expect(run(() => E.matmul(E.input('a', ['B', 3]), E.param('w', [4, 2], { kind: 'zeros' })))).toThrow(/matmul: .*inner dims 3 and 4 differ.*\[B, 3\] float32, \[4, 2\] float32/);
    expect(run(() => E.reshape(E.input('a', ['B', 6]), ['B', 4]))).toThrow(/reshape: a target shape of the same size \(target \[B, 4\]\)/);
  });
});
