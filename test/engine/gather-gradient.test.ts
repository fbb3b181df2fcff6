// The gradient of a gather (per-scenario parameters) must be the same bits on every run with ONNX Runtime's
// default 2 intra-op threads: its ScatterND with reduction 'add' raced there (docs/engine.md, "Determinism").
import { describe, expect, it } from 'vitest';
import { compile, gather, input, mul, param, reduceSum } from '../../src/engine/index.js';
import { Session } from '../../src/engine/runtime/session.js';

describe('gather gradient', () => {
  it('is bit-identical over 300 2-thread runs and equals the per-row sum', async () => {
    const scenarios = 3;
    const width = 64;
    const batch = 4096;
    const compiled = compile(() => {
      const s = input('scenario', ['B'], 'int32');
      const y = input('y', ['B', width]);
      const w = param('w', [scenarios, width], { kind: 'normal', std: 1 });
      const loss = reduceSum(mul(gather(w, s), y), [0, 1]);
      return { loss, outputs: { probability: reduceSum(gather(w, s), [1]) } };
    });
    const scenario = Int32Array.from({ length: batch }, (_, i) => (i * 7919) % scenarios);
    const y = Float32Array.from({ length: batch * width }, (_, i) => Math.sin(i * 1.37) * 1e-3);
    const feeds = {
      scenario: { data: scenario, shape: [batch] },
      y: { data: y, shape: [batch, width] },
      theta: { data: new Float32Array(compiled.thetaSize), shape: [compiled.thetaSize] },
    };
    const session = await Session.create(compiled.training, { threads: 2 });
    try {
      const first = Float32Array.from((await session.run(feeds))['grad/theta']!.data as Float32Array);
      for (let run = 0; run < 300; run++) {
        expect(Float32Array.from((await session.run(feeds))['grad/theta']!.data as Float32Array)).toEqual(first);
      }
      const exact = new Float64Array(scenarios * width);
      for (let r = 0; r < batch; r++) for (let k = 0; k < width; k++) exact[scenario[r]! * width + k]! += y[r * width + k]!;
      for (let k = 0; k < exact.length; k++) expect(first[k]).toBeCloseTo(exact[k]!, 6);
    } finally {
      await session.release();
    }
  });
});
