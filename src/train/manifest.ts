// The run manifest: the sha256 of each file a served or scored model is made of, written when the run is saved
// and checked whenever it is loaded. A model.onnx with flipped bits, or copied from another run or another seed,
// would otherwise load and answer wrong probabilities (or fail on every request) without a word.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { OptmsmError } from '../errors.js';
import { readJsonFileSync, writeJsonAtomicSync } from './checkpoint-io.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT_VERSION = 1;
/** The files a loaded run is made of (weights.bin is for resuming training, never loaded to score). */
export const VERIFIED_FILES = ['model.onnx', 'encoder.json', 'config.json'] as const;
export type VerifiedFile = (typeof VERIFIED_FILES)[number];

const digest = z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() });
const manifestSchema = z.strictObject({
  format_version: z.literal(MANIFEST_FORMAT_VERSION),
  code_version: z.string(),
  files: z.strictObject({ 'model.onnx': digest, 'encoder.json': digest, 'config.json': digest }),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Writes manifest.json over the run's verified files as they are on disk now. */
export function writeManifest(dir: string, codeVersion: string): Manifest {
  const files = Object.fromEntries(VERIFIED_FILES.map((name) => {
    const bytes = readFileSync(join(dir, name));
    return [name, { sha256: sha256(bytes), bytes: bytes.length }];
  })) as Manifest['files'];
  const manifest: Manifest = { format_version: MANIFEST_FORMAT_VERSION, code_version: codeVersion, files };
  writeJsonAtomicSync(join(dir, MANIFEST_FILE), manifest);
  return manifest;
}

export interface VerifiedRunFiles {
  manifest: Manifest;
  /** The bytes of each verified file, exactly those the digests were checked on. */
  bytes: Record<VerifiedFile, Buffer>;
}

/** Reads the run's verified files (the caller made sure they exist) and checks each against manifest.json: E_RUN_CHECKSUM. */
export function readVerifiedFiles(dir: string): VerifiedRunFiles {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new OptmsmError('E_RUN_CHECKSUM', `${dir} has no ${MANIFEST_FILE}, so its model files cannot be verified`, {
      location: manifestPath,
      hint: 'the run was written by an older optmsm or its manifest was deleted: train it again with `optmsm train`',
    });
  }
  const manifest = readJsonFileSync(manifestPath, manifestSchema, { code: 'E_RUN_CHECKSUM', what: 'run manifest' });
  const bytes = {} as Record<VerifiedFile, Buffer>;
  for (const name of VERIFIED_FILES) {
    const path = join(dir, name);
    const data = readFileSync(path);
    const expected = manifest.files[name];
    const found = sha256(data);
    if (found !== expected.sha256) {
      throw new OptmsmError('E_RUN_CHECKSUM', `${path} is not the file this run was saved with (its sha256 differs from ${MANIFEST_FILE})`, {
        location: path,
        expected: `sha256 ${expected.sha256} (${expected.bytes} bytes)`,
        found: `sha256 ${found} (${data.length} bytes)`,
        hint: 'the file was edited, truncated or copied from another run: restore it or train the run again',
      });
    }
    bytes[name] = data;
  }
  return { manifest, bytes };
}
