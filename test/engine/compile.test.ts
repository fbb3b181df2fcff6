// compile(): graph layout (inputs, outputs, theta), training/inference agreement, buffers and trace checks.
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import * as E from '../../src/engine/index.js';
import { OptmsmError } from '../../src/errors.js';
import { runGraph, uniform } from './helpers.js';

describe('compile', () => {
  const model = E.compile(E.buildReferenceModel(1000));

  it('lays out theta in declaration order and names the graph inputs and outputs', async () => {
    expect(model.params.map((p) => p.name)).toEqual([
      'l1.weight', 'l1.bias', 'l2.weight', 'l2.bias', 'lz.weight', 'lz.bias', 'lh.weight', 'lh.bias', 'w3.weight', 'w3.bias', 'wu.weight',
    ]);
    expect(model.params[1]).toMatchObject({ shape: [256], offset: 320 * 256, size: 256 });
    expect(model.thetaSize).toBe(320 * 256 + 256 + 256 * 128 + 128 + 128 * 64 + 64 + 16 * 2048 + 2048 + 128 + 1 + 32);
    expect(model.inputs).toEqual([{ name: 'E', shape: ['B', 320], dtype: 'float32' }, { name: 'label', shape: ['B'], dtype: 'float32' }]);
    expect(model.trainingInputNames).toEqual(['E', 'label', 'theta']);
    expect(model.inferenceInputNames).toEqual(['E', 'theta']);
    const training = await ort.InferenceSession.create(model.training);
    expect(training.outputNames).toEqual(['loss', 'grad/E', 'grad/theta', 'out/logit', 'out/probability']);
    await training.release();
  });

  it('gives the same outputs from the inference graph as from the training graph', async () => {
    const B = 16;
    const feeds = {
      E: { values: uniform(B * 320, 1), shape: ['B', 320] as E.Dim[] },
      label: { values: Float32Array.from({ length: B }, (_, i) => i % 2), shape: ['B'] as E.Dim[] },
      theta: { values: uniform(model.thetaSize, 2, -0.1, 0.1), shape: [model.thetaSize] },
    };
    const train = await runGraph(model.training, feeds, B);
    const infer = await runGraph(model.inference, feeds, B);
    expect(infer['out/probability']).toEqual(train['out/probability']);
    expect(infer['out/logit']).toEqual(train['out/logit']);
    expect(train['grad/theta'].length).toBe(model.thetaSize);
    expect(train['grad/E'].length).toBe(B * 320);
  });

  it('outputs next/<buffer> in training and reads the buffer in inference', async () => {
    const m = E.compile(() => {
      const x = E.input('x', ['B', 2]);
      const running = E.scope('bn', () => E.buffer('mean', [2], { kind: 'zeros' }));
      const mean = E.reduceMean(x, [0]);
      E.assignBuffer(running, E.add(E.mul(running, 0.9), E.mul(mean, 0.1)));
      const y = E.sub(x, E.isTraining() ? mean : running);
      return { loss: E.reduceSum(E.mul(y, y), [0, 1]), outputs: { y }, aux: { mean0: E.reduceSum(E.slice(mean, 0, 0, 1), [0]) } };
    });
    expect(m.buffers).toEqual([{ name: 'bn.mean', shape: [2], size: 2, init: { kind: 'zeros' }, updated: true }]);
    const feeds = { x: { values: Float32Array.of(1, 2, 3, 6), shape: ['B', 2] as E.Dim[] }, 'bn.mean': { values: Float32Array.of(10, 20), shape: [2] }, theta: { values: new Float32Array(0), shape: [0] } };
    const train = await runGraph(m.training, feeds, 2);
    expect([...train['next/bn.mean']].map((v) => +v.toFixed(5))).toEqual([9.2, 18.4]);
    expect([...train['aux/mean0']]).toEqual([2]);
    expect([...train['out/y']]).toEqual([-1, -2, 1, 2]);
    const infer = await runGraph(m.inference, feeds, 2);
    expect([...infer['out/y']]).toEqual([-9, -18, -7, -14]);
  });

  it('sums the gradient of a param used three times in one Sum node, and scopes param names', () => {
    const m = E.compile(() => {
      const x = E.input('x', ['B', 2]);
      const w = E.scope('tower', () => E.scope('0', () => E.param('weight', [2, 2], { kind: 'he_uniform' })));
      const y = E.matmul(E.matmul(E.matmul(x, w), w), w);
      return { loss: E.reduceSum(y, [0, 1]), outputs: {} };
    });
    expect(m.params.map((p) => p.name)).toEqual(['tower.0.weight']);
    const graph = onnxProto.onnx.ModelProto.decode(m.training).graph!;
    const sums = graph.node!.filter((n) => n.opType === 'Sum');
    expect(sums.map((n) => n.input!.length)).toEqual([3]);
  });

  it('adds a 2-D product to the other term of a gradient sum inside one Gemm (fuse.ts)', () => {
    const m = E.compile(() => {
      const x = E.input('x', ['B', 4]);
      const w = E.param('w', [4, 3], { kind: 'xavier_uniform' });
      const v = E.param('v', [4, 3], { kind: 'xavier_uniform' });
      const y = E.add(E.matmul(x, w), E.relu(E.matmul(x, v)));
      return { loss: E.reduceSum(y, [0, 1]), outputs: {}, gradInputs: ['x'] };
    });
    const nodes = onnxProto.onnx.ModelProto.decode(m.training).graph!.node!;
    expect(nodes.filter((n) => n.opType === 'Sum')).toHaveLength(0);
    expect(nodes.filter((n) => n.opType === 'Gemm' && n.input!.length === 3)).toHaveLength(1);
  });

  it('never forms per-sample generated weights [B, K, M] when the conditioning is narrower than K', async () => {
    const [K, M, H, B] = [8, 3, 2, 5];
    const build = (factored: boolean) => () => {
      const x = E.input('x', ['B', K]);
      const c = E.input('c', ['B', H]);
      const w = E.param('w', [H, K * M], { kind: 'xavier_uniform' });
      const b = E.param('b', [K * M], { kind: 'xavier_uniform' });
      // linearOp is the pattern the rewrite looks for; the same sum written with matmul + add is left alone.
      const generated = factored ? E.linearOp(c, w, b) : E.add(E.matmul(c, w), b);
      const y = E.squeeze(E.matmul(E.unsqueeze(x, 1), E.reshape(generated, ['B', K, M])), 1);
      return { loss: E.reduceSum(y, [0, 1]), outputs: { y } };
    };
    const [factored, plain] = [E.compile(build(true)), E.compile(build(false))];
    const feeds = {
      x: { values: uniform(B * K, 1), shape: ['B', K] as E.Dim[] },
      c: { values: uniform(B * H, 2), shape: ['B', H] as E.Dim[] },
      theta: { values: uniform(factored.thetaSize, 3), shape: [factored.thetaSize] },
    };
    const [a, p] = [await runGraph(factored.inference, feeds, B), await runGraph(plain.inference, feeds, B)];
    a['out/y'].forEach((v, i) => expect(v).toBeCloseTo(p['out/y'][i], 5));
    // The factored graph multiplies x by W rearranged to [K, H·M]: a Transpose of W, and no MatMul against [B, K, M].
    const ops = onnxProto.onnx.ModelProto.decode(factored.inference).graph!.node!.map((n) => n.opType);
    expect(ops).toContain('Transpose');
    expect(onnxProto.onnx.ModelProto.decode(plain.inference).graph!.node!.map((n) => n.opType)).not.toContain('Transpose');
  });

  it('joins per-field gradients of E with one Concat and merges re-joined adjacent slices', () => {
    const m = E.compile(() => {
      const e = E.input('E', ['B', 6]);
      const fields = [0, 2, 4].map((at) => E.slice(e, 1, at, at + 2));
      const rejoined = E.concat([fields[1], fields[2]], 1); // one Slice [2, 6), no Concat
      const h = E.concat([...fields.map((f) => E.relu(f)), rejoined], 1);
      return { loss: E.reduceSum(h, [0, 1]), outputs: {}, gradInputs: ['E'] };
    });
    const ops = onnxProto.onnx.ModelProto.decode(m.training).graph!.node!.map((n) => n.opType);
    expect(ops.filter((op) => op === 'Slice')).toHaveLength(4 + 4); // forward, and the VJP of the concat h
    expect(ops.filter((op) => op === 'Concat')).toHaveLength(2); // h, and grad/E from the three fields
    expect(ops.filter((op) => op === 'Pad')).toHaveLength(1); // the overlapping rejoined slice
    expect(ops.filter((op) => op === 'Sum')).toHaveLength(1);
  });

  it('rejects params declared only while training and gradInputs that are not inputs', () => {
    const conditional = () => E.compile(() => {
      const x = E.input('x', ['B', 2]);
      const w = E.isTraining() ? E.param('extra', [2], { kind: 'zeros' }) : E.constant([0, 0], [2]);
      return { loss: E.reduceSum(E.mul(x, w), [0, 1]), outputs: {} };
    });
    expect(conditional).toThrow(OptmsmError);
    expect(conditional).toThrow(/inference trace declares other params/);
    const bad = () => E.compile(() => ({ loss: E.reduceSum(E.input('x', [2]), [0]), outputs: {}, gradInputs: ['nope'] }));
    expect(bad).toThrow(/gradInputs names 'nope'/);
  });

  it('gives zeros for a gradInput the loss does not use, and rejects tensors from another trace', async () => {
    const m = E.compile(() => {
      E.input('unused', ['B', 2]);
      const x = E.input('x', ['B']);
      return { loss: E.reduceSum(E.mul(x, x), [0]), outputs: {}, gradInputs: ['unused', 'x'] };
    });
    const out = await runGraph(m.training, { unused: { values: Float32Array.of(1, 2, 3, 4), shape: ['B', 2] }, x: { values: Float32Array.of(1, 3), shape: ['B'] } }, 2);
    expect([...out['grad/unused']]).toEqual([0, 0, 0, 0]);
    expect([...out['grad/x']]).toEqual([2, 6]);
    let leaked: E.Tensor | undefined;
    E.compile(() => ((leaked = E.constant([1], [])), { loss: leaked, outputs: {} }));
    expect(() => E.compile(() => ({ loss: E.add(leaked!, 1), outputs: {} }))).toThrow(/a tensor from another trace was used/);
  });

  it('rejects a loss that is not a scalar and a duplicate param name', () => {
    expect(() => E.compile(() => ({ loss: E.input('x', ['B']), outputs: {} }))).toThrow(/loss must be a float32 scalar, got \[B\]/);
    const dup = () => E.compile(() => {
      E.param('w', [1], { kind: 'zeros' });
      E.param('w', [1], { kind: 'zeros' });
      return { loss: E.constant([0], []), outputs: {} };
    });
    expect(dup).toThrow(/duplicate param name 'w'/);
    expect(() => E.compile(() => ({ loss: E.reduceSum(E.input('theta', [1]), [0]), outputs: {} }))).toThrow(/input name 'theta' is reserved/);
  });
});
