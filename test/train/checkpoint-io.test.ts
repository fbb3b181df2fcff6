import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InternalError, OptmsmError } from '../../src/errors.js';
import {
  readBytesFile,
  readJsonFile,
  readJsonFileSync,
  toJson,
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from '../../src/train/checkpoint-io.js';

const dir = mkdtempSync(join(tmpdir(), 'optmsm-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const stateSchema = z.strictObject({ epoch: z.number().int(), lr: z.number() });

async function caught(promise: Promise<unknown>): Promise<OptmsmError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OptmsmError) return err;
    throw err;
  }
  throw new Error('expected an OptmsmError');
}

describe('atomic writes', () => {
  it('writes, overwrites and leaves no temporary files', async () => {
    const path = join(dir, 'state.json');
    await writeJsonAtomic(path, { epoch: 1, lr: 0.01 });
    await writeJsonAtomic(path, { epoch: 2, lr: 0.005 });
    expect(await readJsonFile(path, stateSchema)).toEqual({ epoch: 2, lr: 0.005 });
    writeJsonAtomicSync(path, { epoch: 3, lr: 0.001 });
    expect(readJsonFileSync(path, stateSchema)).toEqual({ epoch: 3, lr: 0.001 });
    const bin = join(dir, 'theta.bin');
    await writeFileAtomic(bin, new Uint8Array([1, 2, 3, 4]));
    writeFileAtomicSync(join(dir, 'note.txt'), 'hello');
    expect(await readBytesFile(bin, { expectedBytes: 4 })).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(readdirSync(dir).sort()).toEqual(['note.txt', 'state.json', 'theta.bin']);
  });

  it('keeps the old file and cleans up when the write fails', async () => {
    const sub = join(dir, 'fail');
    mkdirSync(join(sub, 'target'), { recursive: true });
    writeFileSync(join(sub, 'target', 'inside'), 'old');
    // Renaming a file over a non-empty directory fails after the temporary file was fully written.
    const err = await caught(writeFileAtomic(join(sub, 'target'), 'new'));
    expect(err.code).toBe('E_TRAIN_CHECKPOINT');
    expect(err.message).toBe(`cannot write ${join(sub, 'target')}`);
    expect(readdirSync(sub)).toEqual(['target']);
    expect(readFileSync(join(sub, 'target', 'inside'), 'utf8')).toBe('old');
    expect(() => writeFileAtomicSync(join(dir, 'missing-dir', 'x.json'), '{}')).toThrow(OptmsmError);
  });

  it('refuses to write NaN or Infinity as JSON null', () => {
    expect(() => toJson({ auc: NaN })).toThrow(InternalError);
    expect(() => toJson({ a: [1, Infinity] })).toThrow('non-finite number Infinity at JSON key "1"');
    expect(toJson({ a: null, b: 1.5 })).toBe('{\n  "a": null,\n  "b": 1.5\n}\n');
  });
});

describe('strict reads', () => {
  it('names a missing file', async () => {
    const err = await caught(readJsonFile(join(dir, 'nope.json'), stateSchema, { what: 'checkpoint state' }));
    expect(err.message).toBe(`checkpoint state not found: ${join(dir, 'nope.json')}`);
    expect(err.code).toBe('E_TRAIN_CHECKPOINT');
  });

  it('reports a truncated JSON file as corrupt', async () => {
    const path = join(dir, 'torn.json');
    writeFileSync(path, '{"epoch": 3, "lr"');
    const err = await caught(readJsonFile(path, stateSchema));
    expect(err.message).toBe(`checkpoint file is corrupt (not valid JSON): ${path}`);
    expect(err.hint).toMatch(/truncated/);
  });

  it('reports content that does not match the schema with its key path', async () => {
    const path = join(dir, 'shape.json');
    writeFileSync(path, '{"epoch": 1.5, "lr": 0.1}');
    const err = await caught(readJsonFile(path, stateSchema, { code: 'E_RUN_NOT_FOUND', what: 'run state' }));
    expect(err.code).toBe('E_RUN_NOT_FOUND');
    expect(err.message).toBe(`run state does not have the expected content: ${path}`);
    expect(err.location).toBe(`${path}: epoch`);
  });

  it('checks the size of a binary file', async () => {
    const path = join(dir, 'short.bin');
    writeFileSync(path, new Uint8Array(10));
    const err = await caught(readBytesFile(path, { expectedBytes: 16, what: 'weights' }));
    expect([err.expected, err.found]).toEqual(['16 bytes', '10 bytes']);
  });
});
