import { afterEach, describe, expect, it } from 'vitest';
import { Session, compile, input, mul, reduceSum, resolveExecutionProvider } from '../../../src/engine/index.js';

const model = () =>
  compile(() => {
    const x = input('x', ['B', 3]);
    const y = mul(x, 2);
    return { loss: reduceSum(y, [0, 1]), outputs: { y } };
  });

describe('Session', () => {
  afterEach(() => {
    delete process.env.OPTMSM_EXECUTION_PROVIDER;
  });

  it('runs a graph on plain and SharedArrayBuffer-backed inputs', async () => {
    const session = await Session.create(model().inference, { threads: 1 });
    expect(session.inputNames).toEqual(['x']);
    const plain = await session.run({ x: { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] } });
    expect(Array.from(plain['out/y'].data as Float32Array)).toEqual([2, 4, 6, 8, 10, 12]);
    const shared = new Float32Array(new SharedArrayBuffer(6 * 4));
    shared.set([1, 1, 1, 2, 2, 2]);
    const out = await session.run({ x: { data: shared, shape: [2, 3] } });
    expect(Array.from(out['out/y'].data as Float32Array)).toEqual([2, 2, 2, 4, 4, 4]);
    await expect(session.run({})).rejects.toMatchObject({ code: 'E_ENGINE_RUNTIME', message: expect.stringMatching(/graph input x/) });
    await session.release();
  });

  it('takes the execution provider from OPTMSM_EXECUTION_PROVIDER and explains a missing one', async () => {
    expect(resolveExecutionProvider()).toBe('cpu');
    expect(resolveExecutionProvider('cuda')).toBe('cuda');
    process.env.OPTMSM_EXECUTION_PROVIDER = 'no-such-provider';
    expect(resolveExecutionProvider('cuda')).toBe('no-such-provider');
    await expect(Session.create(model().inference)).rejects.toMatchObject({
      code: 'E_ENGINE_RUNTIME',
      message: expect.stringMatching(/unknown execution provider 'no-such-provider'/),
      hint: expect.stringMatching(/docs\/engine.md/),
    });
  });
});
