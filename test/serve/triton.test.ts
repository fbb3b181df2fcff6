// optmsm export --triton: config.pbtxt names exactly the graph's inputs and outputs, with their types and dims
// (batch dimension left out), model.onnx is the run's verified file, and the client gets the encoder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/engine/index.js';
import { tritonConfig } from '../../src/serve/index.js';
import { readVerifiedFiles, sha256 } from '../../src/train/index.js';
import { trainServedRun } from './fixture.js';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/optmsm.js');

/** The tensors of one section (input or output) of a config.pbtxt: name, data type, dims, reshape. */
function tensors(config: string, section: 'input' | 'output') {
  const block = new RegExp(`^${section} \\[\\n([\\s\\S]*?)\\n\\]`, 'm').exec(config)![1]!;
  return [...block.matchAll(/name: "([^"]+)"\n\s+data_type: (\w+)\n\s+dims: \[ ([^\]]*) \](\n\s+reshape: \{ shape: \[ \] \})?/g)]
    .map(([, name, type, dims, reshape]) => ({ name, type, dims: dims!.trim().split(', ').map(Number), reshaped: reshape !== undefined }));
}

describe('optmsm export --triton', () => {
  it('writes config.pbtxt naming exactly the inputs and outputs of model.onnx, the verified model, and the encoder', async () => {
    const run = await trainServedRun();
    const repo = mkdtempSync(join(tmpdir(), 'optmsm-triton-'));
    const result = spawnSync(process.execPath, [bin, 'export', '--run', run, '--triton', repo, '--name', 'ctr', '--max-batch-size', '512'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const model = join(repo, 'ctr', '1', 'model.onnx');
    expect(sha256(readFileSync(model))).toBe(readVerifiedFiles(run).manifest.files['model.onnx'].sha256);
    expect(existsSync(join(repo, 'ctr', 'encoder.json'))).toBe(true);

    const config = readFileSync(join(repo, 'ctr', 'config.pbtxt'), 'utf8');
    expect(config).toMatch(/^name: "ctr"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 512\n/);
    expect(config).toMatch(/dynamic_batching \{\n {2}max_queue_delay_microseconds: 1000\n\}/);
    const session = await Session.create(readFileSync(model), { threads: 1 });
    const types: Record<string, string> = { float32: 'TYPE_FP32', int32: 'TYPE_INT32' };
    const expected = (values: typeof session.inputs) => values.map((v) => ({
      name: v.name, type: types[v.type], dims: v.shape.length === 1 ? [1] : v.shape.slice(1).map(Number), reshaped: v.shape.length === 1,
    }));
    expect(tensors(config, 'input')).toEqual(expected(session.inputs));
    expect(tensors(config, 'output')).toEqual(expected(session.outputs));
    expect(tensors(config, 'input').map((t) => t.name).sort()).toEqual(['ids/item', 'ids/page', 'ids/tags', 'ids/user', 'numeric', 'scenario']);
    expect(tensors(config, 'input').find((t) => t.name === 'ids/tags')!.dims).toEqual([3]);
    await session.release();
  });

  it('a graph value whose first dimension is not the batch has no Triton form', () => {
    expect(() => tritonConfig('m', [{ name: 'x', type: 'float32', shape: [3, 4] }], [], 8, 100)).toThrow(/no Triton form/);
    expect(tritonConfig('m', [{ name: 'x', type: 'float32', shape: ['batch', 'n'] }], [], 8, 100)).toContain('dims: [ -1 ]');
  });
});
