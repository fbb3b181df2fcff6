// Crash-safe file writes and strict reads for checkpoints and run files. A write goes to a temporary file in the
// same directory, is fsynced, then renamed over the target (rename is atomic within one filesystem), and the
// directory is fsynced so the rename itself survives a power loss. A reader therefore sees the old file or the
// new one, never half of one; reads turn a missing, truncated or malformed file into one clear OptmsmError.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { type ErrorCode, InternalError, OptmsmError } from '../errors.js';

export interface ReadOptions {
  /** Error code for failures; run files other than checkpoints pass e.g. E_RUN_NOT_FOUND. */
  code?: ErrorCode;
  /** Names the file in messages, e.g. "checkpoint state". */
  what?: string;
}

const tempPath = (path: string) =>
  join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);

function writeError(path: string, err: unknown): OptmsmError {
  return new OptmsmError('E_TRAIN_CHECKPOINT', `cannot write ${path}`, {
    location: path,
    found: err instanceof Error ? err.message : String(err),
    hint: 'check that the directory exists, is writable and the disk is not full',
  });
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPath(path);
  try {
    const handle = await fsp.open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw writeError(path, err);
  }
  syncDirectory(dirname(path));
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const tmp = tempPath(path);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw writeError(path, err);
  }
  syncDirectory(dirname(path));
}

function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the file itself is already durable.
  }
}

/**
 * JSON.stringify (indented by `indent`, one line for 0) plus a newline; a NaN or Infinity, which JSON would
 * silently turn into null, is a bug rather than data and throws.
 */
export function toJson(value: unknown, indent = 2): string {
  return `${JSON.stringify(
    value,
    (key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new InternalError(`non-finite number ${v} at JSON key "${key}"`);
      }
      return v;
    },
    indent,
  )}\n`;
}

export const writeJsonAtomic = (path: string, value: unknown): Promise<void> => writeFileAtomic(path, toJson(value));
export const writeJsonAtomicSync = (path: string, value: unknown): void => writeFileAtomicSync(path, toJson(value));

function readError(path: string, err: unknown, { code = 'E_TRAIN_CHECKPOINT', what = 'checkpoint file' }: ReadOptions) {
  const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
  return new OptmsmError(code, missing ? `${what} not found: ${path}` : `cannot read ${what} ${path}`, {
    location: path,
    found: err instanceof Error ? err.message : String(err),
  });
}

/** Parses JSON text and validates it; `path` only labels errors. */
export function parseJsonText<T>(text: string, path: string, schema: z.ZodType<T>, options: ReadOptions = {}): T {
  const { code = 'E_TRAIN_CHECKPOINT', what = 'checkpoint file' } = options;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new OptmsmError(code, `${what} is corrupt (not valid JSON): ${path}`, {
      location: path,
      found: (err as Error).message,
      hint: 'the file was truncated or edited by hand; restore it or start the run again',
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OptmsmError(code, `${what} does not have the expected content: ${path}`, {
      location: `${path}: ${issue.path.length ? issue.path.join('.') : '(top level)'}`,
      found: issue.message,
      hint: 'it may come from another optmsm version; start the run again',
    });
  }
  return parsed.data;
}

export async function readJsonFile<T>(path: string, schema: z.ZodType<T>, options: ReadOptions = {}): Promise<T> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    throw readError(path, err, options);
  }
  return parseJsonText(text, path, schema, options);
}

export function readJsonFileSync<T>(path: string, schema: z.ZodType<T>, options: ReadOptions = {}): T {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw readError(path, err, options);
  }
  return parseJsonText(text, path, schema, options);
}

/** Reads a binary file, checking its size when the caller knows it (a truncated weight file fails here). */
export async function readBytesFile(
  path: string,
  options: ReadOptions & { expectedBytes?: number } = {},
): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(path);
  } catch (err) {
    throw readError(path, err, options);
  }
  if (options.expectedBytes !== undefined && bytes.length !== options.expectedBytes) {
    const { code = 'E_TRAIN_CHECKPOINT', what = 'checkpoint file' } = options;
    throw new OptmsmError(code, `${what} has the wrong size (truncated or from another model): ${path}`, {
      location: path,
      expected: `${options.expectedBytes} bytes`,
      found: `${bytes.length} bytes`,
    });
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
