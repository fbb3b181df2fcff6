// The run manifest: written over model.onnx, encoder.json and config.json, and any byte changed in one of them
// (or a missing manifest) refuses to load; graph inputs that are not the encoder's are refused as well.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FieldInfo } from '../../src/data/index.js';
import type { Session } from '../../src/engine/index.js';
import { OptmsmError } from '../../src/errors.js';
import { checkModelInputs, MANIFEST_FILE, modelInputs, readVerifiedFiles, sha256, writeManifest } from '../../src/train/index.js';

function runDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'optmsm-manifest-'));
  writeFileSync(join(dir, 'model.onnx'), new Uint8Array([1, 2, 3, 4]));
  writeFileSync(join(dir, 'encoder.json'), '{"e":1}');
  writeFileSync(join(dir, 'config.json'), '{"c":1}');
  return dir;
}

const failure = (fn: () => unknown): OptmsmError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof OptmsmError) return error;
    throw error;
  }
  throw new Error('expected an OptmsmError');
};

describe('run manifest', () => {
  it('records the sha256 and size of each file and verifies them', () => {
    const dir = runDir();
    const manifest = writeManifest(dir, 'abc123');
    expect(manifest.files['model.onnx']).toEqual({ sha256: sha256(new Uint8Array([1, 2, 3, 4])), bytes: 4 });
    expect(manifest.code_version).toBe('abc123');
    expect(Array.from(readVerifiedFiles(dir).bytes['model.onnx'])).toEqual([1, 2, 3, 4]);
  });

  it.each(['model.onnx', 'encoder.json', 'config.json'])('a changed %s is E_RUN_CHECKSUM naming the file and both digests', (file) => {
    const dir = runDir();
    const manifest = writeManifest(dir, 'abc123');
    writeFileSync(join(dir, file), 'something else');
    const error = failure(() => readVerifiedFiles(dir));
    expect(error.code).toBe('E_RUN_CHECKSUM');
    expect(error.location).toBe(join(dir, file));
    expect(error.expected).toContain(manifest.files[file as 'model.onnx'].sha256);
    expect(error.found).toContain(sha256(Buffer.from('something else')));
  });

  it('a run without a manifest cannot be verified and says how to get one', () => {
    const dir = runDir();
    writeManifest(dir, 'abc123');
    rmSync(join(dir, MANIFEST_FILE));
    const error = failure(() => readVerifiedFiles(dir));
    expect(error.code).toBe('E_RUN_CHECKSUM');
    expect(error.hint).toContain('optmsm train');
  });
});

describe('graph inputs against the encoder', () => {
  const fields: FieldInfo[] = [
    { name: 'page', kind: 'categorical', scope: 'specific', vocabSize: 5, embeddingDim: 4, maxLen: 1, pooling: 'mean' },
    { name: 'tags', kind: 'multi', scope: 'shared', vocabSize: 9, embeddingDim: 4, maxLen: 3, pooling: 'mean' },
    { name: 'price', kind: 'numeric', scope: 'shared', vocabSize: 0, embeddingDim: 0, maxLen: 1, pooling: 'mean' },
  ];
  const session = (inputs: Session['inputs']) => ({ inputs }) as Session;

  it('names exactly what the encoder feeds', () => {
    expect(modelInputs(fields)).toEqual([
      { name: 'numeric', type: 'float32', shape: ['B', 1] },
      { name: 'scenario', type: 'int32', shape: ['B'] },
      { name: 'ids/page', type: 'int32', shape: ['B', 1] },
      { name: 'ids/tags', type: 'int32', shape: ['B', 3] },
    ]);
    expect(() => checkModelInputs(session(modelInputs(fields).map((v) => ({ ...v, shape: v.shape.map((d) => (d === 'B' ? 'batch' : d)) }))), fields, 'm.onnx')).not.toThrow();
  });

  it('a graph that does not read the scenario index (only its embedding) is compatible', () => {
    expect(() => checkModelInputs(session(modelInputs(fields).filter((v) => v.name !== 'scenario')), fields, 'm.onnx')).not.toThrow();
  });

  it('a missing input, another width or an extra input is E_RUN_INCOMPATIBLE naming it', () => {
    const inputs = modelInputs(fields);
    const cases = [
      inputs.filter((v) => v.name !== 'ids/tags'),
      inputs.map((v) => (v.name === 'ids/tags' ? { ...v, shape: ['B', 6] } : v)),
      [...inputs, { name: 'ids/user', type: 'int32', shape: ['B', 1] }],
    ];
    const found = cases.map((c) => failure(() => checkModelInputs(session(c), fields, 'm.onnx')));
    expect(found.map((e) => e.code)).toEqual(['E_RUN_INCOMPATIBLE', 'E_RUN_INCOMPATIBLE', 'E_RUN_INCOMPATIBLE']);
    expect(found[0]!.expected).toContain('ids/tags int32 [B, 3]');
    expect(found[0]!.found).toContain('no such input');
    expect(found[1]!.found).toContain('ids/tags int32 [B, 6]');
    expect(found[2]!.found).toContain('ids/user');
  });
});
