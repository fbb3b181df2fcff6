// exportModel: the file loads in a fresh session, takes raw ids per field and matches the inference graph
// fed with embeddings gathered (and pooled) by hand.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as E from '../../src/engine/index.js';
import { runGraph, uniform } from './helpers.js';

describe('exportModel', () => {
  const model = E.compile(() => {
    const e = E.input('E', ['B', 7]);
    const dense = E.input('numeric', ['B', 1]);
    const w = E.param('w', [8, 1], { kind: 'xavier_uniform' });
    const logit = E.squeeze(E.linearOp(E.concat([e, dense], 1), w, E.param('b', [1], { kind: 'zeros' })), 1);
    return { loss: E.reduceSum(logit, [0]), outputs: { probability: E.sigmoid(logit) } };
  });
  const theta = uniform(model.thetaSize, 5);
  const tableA = uniform(5 * 3, 6).fill(0, 0, 3); // row 0 is padding
  const tableB = uniform(4 * 2, 7).fill(0, 0, 2);
  const fields: E.ExportEmbeddingField[] = [
    { name: 'a', table: tableA, dim: 3, maxLen: 1, pooling: 'mean' },
    { name: 'tags', table: tableB, dim: 2, maxLen: 3, pooling: 'mean' },
    { name: 'tags_sum', table: tableB, dim: 2, maxLen: 3, pooling: 'sum' },
  ];
  const idsA = Int32Array.of(1, 4);
  const idsTags = Int32Array.of(1, 3, 0, 0, 0, 0); // a bag of two and an empty bag

  function gatherByHand(): Float32Array {
    const e = new Float32Array(2 * 7);
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < 3; k++) e[b * 7 + k] = tableA[idsA[b] * 3 + k];
      const bag = [...idsTags.subarray(b * 3, b * 3 + 3)].filter((id) => id !== 0);
      for (let k = 0; k < 2; k++) {
        const sum = bag.reduce((s, id) => s + tableB[id * 2 + k], 0);
        e[b * 7 + 3 + k] = bag.length ? sum / bag.length : 0;
        e[b * 7 + 5 + k] = sum;
      }
    }
    return e;
  }

  it('bakes theta and the embedding tables into a self-contained file', async () => {
    const bytes = E.exportModel(model, { theta }, { fields });
    const session = await ort.InferenceSession.create(bytes);
    expect([...session.inputNames].sort()).toEqual(['ids/a', 'ids/tags', 'ids/tags_sum', 'numeric']);
    const numeric = Float32Array.of(0.5, -2);
    const out = await session.run({
      'ids/a': new ort.Tensor('int32', idsA, [2, 1]),
      'ids/tags': new ort.Tensor('int32', idsTags, [2, 3]),
      'ids/tags_sum': new ort.Tensor('int32', idsTags, [2, 3]),
      numeric: new ort.Tensor('float32', numeric, [2, 1]),
    });
    const want = await runGraph(model.inference, {
      E: { values: gatherByHand(), shape: ['B', 7] },
      numeric: { values: numeric, shape: ['B', 1] },
      theta: { values: theta, shape: [model.thetaSize] },
    }, 2);
    const got = out['out/probability'].data as Float32Array;
    [...want['out/probability']].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    await session.release();
  });

  it('without an embedding keeps E as an input and only bakes theta', async () => {
    const session = await ort.InferenceSession.create(E.exportModel(model, { theta }));
    expect([...session.inputNames]).toEqual(['E', 'numeric']);
    await session.release();
  });

  it('rejects a theta of the wrong size and fields that do not fill E', () => {
    expect(() => E.exportModel(model, { theta: new Float32Array(3) })).toThrow(/theta has 3 values, the model needs 9/);
    expect(() => E.exportModel(model, { theta }, { fields: fields.slice(0, 2) })).toThrow(/give 5 columns, but input 'E' is \[B, 7\]/);
  });
});
