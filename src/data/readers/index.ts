// The reader registry: a format name selects its reader, a file extension selects a format. The built-in readers
// register here; another format is one file implementing Reader and one registerReader call.
import { extname } from 'node:path';
import { OptmsmError } from '../../errors.js';
import { csvReader } from './csv.js';
import { jsonlReader } from './jsonl.js';
import { parquetReader } from './parquet.js';
import type { Reader } from './reader.js';

const readers = new Map<string, Reader>();

/** Makes a reader available under its format name (a later registration of the same name replaces it). */
export function registerReader(reader: Reader): void {
  readers.set(reader.format, reader);
}

for (const reader of [csvReader, parquetReader, jsonlReader]) registerReader(reader);

export const readerFormats = (): string[] => [...readers.keys()];

/** The reader of a format; an unknown name is a config error naming it and the registered ones. */
export function readerFor(format: string, location: string): Reader {
  const reader = readers.get(format);
  if (!reader) {
    throw new OptmsmError('E_CONFIG_INVALID', `unknown data format '${format}'`, {
      location, expected: `one of ${readerFormats().join(', ')}`, found: format,
    });
  }
  return reader;
}

/** The format a file's extension selects (case-insensitive), or null. */
export function formatOf(file: string): string | null {
  const ext = extname(file).toLowerCase();
  for (const reader of readers.values()) if (reader.extensions.includes(ext)) return reader.format;
  return null;
}

/** Every registered extension, or one format's. */
export const extensionsOf = (format: string | null): string[] =>
  format !== null ? [...readerFor(format, 'format').extensions] : [...readers.values()].flatMap((r) => r.extensions);

export type { BadRow, FileRows, Reader, ReadContext, ScanOptions } from './reader.js';
export { EMPTY_CELL } from './reader.js';
