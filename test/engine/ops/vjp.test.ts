import { describe, expect, it } from 'vitest';
import { registry } from '../../../src/engine/ops/index.js';
import { checkVjp } from '../helpers.js';
import { VJP_CASES } from './vjp-cases.js';

// Ops that only VJP rules emit are exercised through the forward op whose gradient they are.
const SEEN_AS: Record<string, string> = { pad: 'slice', scatterAdd: 'gather', matmulAdd: 'matmul' };

const precision = new Map<string, boolean>();

describe('VJP rules against central finite differences', () => {
  it('every registered op has a finite-difference case', () => {
    const missing = Object.keys(registry).filter((op) => !(VJP_CASES as Record<string, unknown[]>)[op]?.length);
    expect(missing).toEqual([]);
  });

  for (const [op, cases] of Object.entries(VJP_CASES)) {
    for (const c of cases) {
      it(`${op}: ${c.name}`, async () => {
        const { ops, float64 } = await checkVjp(c.fn, c.args, c.options);
        expect([...ops]).toContain(SEEN_AS[op] ?? op);
        precision.set(`${op}: ${c.name}`, float64);
      });
    }
  }

  it('ran every case in double precision', () => {
    expect([...precision].filter(([, f64]) => !f64).map(([k]) => k)).toEqual([]);
  });
});
