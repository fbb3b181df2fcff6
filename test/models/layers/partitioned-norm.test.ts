// STAR's partitioned normalisation: per-scenario batch statistics while training, running averages that move
// only for the scenarios present in the batch, and those averages at inference.
import { describe, expect, it } from 'vitest';
import { compile, input, mul, reduceMean, Session } from '../../../src/engine/index.js';
import { partitionedNorm } from '../../../src/models/layers/partitioned-norm.js';

const S = 3;
const n = 2;

async function setup() {
  const compiled = compile(() => {
    const x = input('x', ['B', n]);
    const scenario = input('scenario', ['B'], 'int32');
    const y = partitionedNorm('pn', n, S, { momentum: 0.1, eps: 1e-5 })(x, scenario);
    return { loss: reduceMean(mul(y, y), [0, 1]), outputs: { y } };
  });
  const [train, infer] = await Promise.all([Session.create(compiled.training), Session.create(compiled.inference)]);
  return { compiled, train, infer };
}

// Scenario 0: rows (1, 10), (3, 30); scenario 1: rows (5, -1), (7, -1), (9, -1); scenario 2 absent.
const x = Float32Array.from([1, 10, 5, -1, 3, 30, 7, -1, 9, -1]);
const scenario = Int32Array.from([0, 1, 0, 1, 1]);

function feeds(theta: Float32Array, mean: Float32Array, variance: Float32Array) {
  return {
    x: { data: x, shape: [5, n] },
    scenario: { data: scenario, shape: [5], dtype: 'int32' as const },
    theta: { data: theta, shape: [theta.length] },
    'pn.running_mean': { data: mean, shape: [S, n] },
    'pn.running_var': { data: variance, shape: [S, n] },
  };
}

describe('partitionedNorm', () => {
  it('normalises each scenario with its own batch statistics and updates only present scenarios', async () => {
    const { compiled, train, infer } = await setup();
    // shared γ=1, β=0 and per-scenario γ_s=1, β_s=0 (their inits)
    const theta = new Float32Array(compiled.thetaSize);
    for (const p of compiled.params) if (p.name.endsWith('gamma')) theta.fill(1, p.offset, p.offset + p.size);
    const mean = new Float32Array(S * n);
    const variance = new Float32Array(S * n).fill(1);
    const out = await train.run(feeds(theta, mean, variance));
    const y = out['out/y'].data as Float32Array;
    const s0 = 1 / Math.sqrt(1 + 1e-5); // scenario 0, column 0: mean 2, var 1
    expect(y[0]).toBeCloseTo(-s0, 5);
    expect(y[4]).toBeCloseTo(s0, 5);
    expect(y[1]).toBeCloseTo(-10 / Math.sqrt(100 + 1e-5), 5); // column 1: mean 20, var 100
    // scenario 1, column 0: mean 7, var 8/3; column 1 constant → 0
    expect(y[2]).toBeCloseTo(-2 / Math.sqrt(8 / 3 + 1e-5), 4);
    expect(y[3]).toBeCloseTo(0, 6);
    const nextMean = out['next/pn.running_mean'].data as Float32Array;
    const nextVar = out['next/pn.running_var'].data as Float32Array;
    expect(Array.from(nextMean)).toEqual([0.2, 2, 0.7, -0.1, 0, 0].map((v) => expect.closeTo(v, 5)));
    // unbiased batch variance: scenario 0 → (2, 200), scenario 1 → (4, 0); absent scenario 2 keeps 1
    expect(Array.from(nextVar)).toEqual([0.9 + 0.2, 0.9 + 20, 0.9 + 0.4, 0.9, 1, 1].map((v) => expect.closeTo(v, 4)));

    const inferred = await infer.run(feeds(theta, Float32Array.from([2, 20, 7, -1, 0, 0]), Float32Array.from([1, 100, 4, 1, 1, 1])));
    const yi = inferred['out/y'].data as Float32Array;
    expect(yi[0]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-5), 5);
    expect(yi[2]).toBeCloseTo(-2 / Math.sqrt(4 + 1e-5), 5);
    await Promise.all([train.release(), infer.release()]);
  });
});
