// Finite-difference cases for the grouped-routing ops (spread into VJP_CASES): batches sorted by scenario,
// including a scenario without rows.
import * as E from '../../../src/engine/index.js';
import type { Arg } from '../helpers.js';
import type { VjpCase } from './vjp-cases.js';

const f = (...shape: E.Dim[]): Arg => ({ shape });
const p = (...shape: number[]): Arg => ({ shape, param: true });
const ints = (values: number[], shape: E.Dim[] = [values.length]): Arg => ({ shape, dtype: 'int32', values: Int32Array.from(values) });

// Batch 5: scenario 0 has rows 0..1, scenario 1 none, scenario 2 rows 2..4.
const OFFSETS = ints([0, 2, 2, 5]);
const BATCH = { batch: 5 };

export const GROUPED_CASES = {
  groupedMatmul: [
    { name: 'three groups, one empty', fn: (x, w, o) => E.groupedMatmul(x, w, o), args: [f('B', 3), p(3, 3, 2), OFFSETS], options: BATCH },
    { name: 'one group (S = 1)', fn: (x, w, o) => E.groupedMatmul(x, w, o), args: [f('B', 3), f(1, 3, 2), ints([0, 5])], options: BATCH },
    {
      name: 'second order: a groupedMatmul of its own input gradient',
      fn: (x, w, o) => E.groupedMatmul(E.tanh(E.groupedMatmul(x, w, o)), E.transpose(w, [0, 2, 1]), o),
      args: [f('B', 3), f(3, 3, 2), OFFSETS], options: BATCH,
    },
  ],
  groupedOuter: [
    { name: 'three groups, one empty', fn: (a, b, o) => E.groupedOuter(a, b, o), args: [f('B', 2), f('B', 3), OFFSETS], options: BATCH },
    { name: 'one group (S = 1)', fn: (a, b, o) => E.groupedOuter(a, b, o), args: [f('B', 2), f('B', 3), ints([0, 5])], options: BATCH },
  ],
  permuteRows: [
    {
      name: 'rows sorted by key, then back',
      fn: (x, key) => {
        const perm = E.argsort(key);
        return E.mul(E.permuteRows(E.tanh(E.permuteRows(x, perm, E.invertPermutation(perm))), E.invertPermutation(perm), perm), 1);
      },
      args: [f('B', 2), ints([2, 0, 2, 1, 0], ['B'])], options: BATCH,
    },
  ],
  argsort: [
    {
      name: 'x sorted by key',
      fn: (x, key) => { const perm = E.argsort(key); return E.permuteRows(x, perm, E.invertPermutation(perm)); },
      args: [f('B', 2), ints([1, 1, 0, 2, 0], ['B'])], options: BATCH,
    },
  ],
  invertPermutation: [
    {
      name: 'x gathered by the inverse of its sort order',
      fn: (x, key) => { const perm = E.argsort(key); return E.permuteRows(x, E.invertPermutation(perm), perm); },
      args: [f('B', 2), ints([2, 1, 0, 2, 0], ['B'])], options: BATCH,
    },
  ],
  // Finite differences see the value path only; grouped.test.ts checks that the gradient is dropped.
  stopGradient: [{ name: 'x + sg(x) - sg(x)', fn: (x) => E.add(x, E.sub(E.stopGradient(x), E.stopGradient(x))), args: [f(2, 3)] }],
} satisfies Record<string, VjpCase[]>;
