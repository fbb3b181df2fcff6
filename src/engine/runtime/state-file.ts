// The binary container for a saved EngineModel: the magic 'OPTMSMST', a u32 format version, a u32 header length,
// a JSON header (scalars and the list of arrays with their byte offsets), the float32 arrays themselves
// (little-endian, each 8-byte aligned), and a SHA-256 of everything before it. Arrays are written straight from
// their typed arrays, so saving a 1M-row table does not build a second copy of it.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { OptmsmError } from '../../errors.js';

const MAGIC = Buffer.from('OPTMSMST', 'latin1');
const VERSION = 1;
const DIGEST_BYTES = 32;

export interface StateFileContents<H> {
  header: H;
  arrays: Map<string, Float32Array>;
}

interface ArrayEntry {
  key: string;
  offset: number;
  length: number;
}

export function writeStateFile<H>(file: string, header: H, arrays: ReadonlyMap<string, Float32Array>): void {
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const [key, a] of arrays) {
    entries.push({ key, offset, length: a.length });
    offset = align8(offset + a.byteLength);
  }
  const json = Buffer.from(JSON.stringify({ header, arrays: entries }), 'utf8');
  const prefix = Buffer.alloc(align8(16 + json.length));
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(VERSION, 8);
  prefix.writeUInt32LE(json.length, 12);
  json.copy(prefix, 16);

  const temp = `${file}.tmp-${process.pid}`;
  const hash = createHash('sha256');
  const fd = openSync(temp, 'w');
  try {
    const put = (bytes: Uint8Array) => {
      hash.update(bytes);
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
    };
    put(prefix);
    const pad = new Uint8Array(8);
    for (const [, a] of arrays) {
      put(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      const gap = align8(a.byteLength) - a.byteLength;
      if (gap > 0) put(pad.subarray(0, gap));
    }
    put(hash.copy().digest());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

export function readStateFile<H>(file: string): StateFileContents<H> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new OptmsmError('E_ENGINE_STATE', `cannot read model state ${file}: ${(error as Error).message}`, { location: file });
  }
  const corrupt = (found: string) =>
    new OptmsmError('E_ENGINE_STATE', `${file} is not a valid optmsm model state: ${found}`, { location: file, expected: 'an optmsm engine state file', found });
  if (bytes.length < 16 + DIGEST_BYTES || !bytes.subarray(0, 8).equals(MAGIC)) throw corrupt('another file type');
  const version = bytes.readUInt32LE(8);
  if (version !== VERSION) throw corrupt(`format version ${version}, this optmsm reads ${VERSION}`);
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) throw corrupt('a checksum mismatch (truncated or damaged file)');
  const jsonLength = bytes.readUInt32LE(12);
  const parsed = JSON.parse(bytes.subarray(16, 16 + jsonLength).toString('utf8')) as { header: H; arrays: ArrayEntry[] };
  const base = align8(16 + jsonLength);
  const arrays = new Map<string, Float32Array>();
  for (const e of parsed.arrays) {
    const start = base + e.offset;
    if (start + e.length * 4 > body.length) throw corrupt(`array ${e.key} runs past the end of the file`);
    // Copy: the file buffer's offsets need not be 4-byte aligned, and the caller keeps these arrays.
    const a = new Float32Array(e.length);
    new Uint8Array(a.buffer).set(body.subarray(start, start + e.length * 4));
    arrays.set(e.key, a);
  }
  return { header: parsed.header, arrays };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
