// What a file's first bytes say it is, so that a reader can name a mismatched format (a gzip or Parquet file
// named .csv) instead of passing DuckDB's sniffer error along, and whether a file holds nothing but blanks.
import { closeSync, openSync, readSync } from 'node:fs';

export type Content = 'gzip' | 'zstd' | 'zip' | 'parquet' | 'json' | 'text' | 'binary' | 'blank';

export const CONTENT_NAMES: Record<Content, string> = {
  gzip: 'gzip-compressed data', zstd: 'zstd-compressed data', zip: 'a zip archive', parquet: 'a Parquet file',
  json: 'JSON', text: 'text', binary: 'binary data', blank: 'only blanks',
};

const BLANK = new Set([9, 10, 13, 32]);

/** Reads the start of the file (and on through blanks) and names its content. */
export function sniff(file: string): Content {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const got = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, got);
    if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (got >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    const magic = head.subarray(0, 4).toString('latin1');
    if (magic === 'PK\x03\x04') return 'zip';
    if (magic === 'PAR1') return 'parquet';
    let first = head.find((b) => !BLANK.has(b));
    for (let position = got; first === undefined; position += buf.length) {
      const more = readSync(fd, buf, 0, buf.length, position);
      if (more === 0) return 'blank';
      first = buf.subarray(0, more).find((b) => !BLANK.has(b));
    }
    if (first === 0x7b || first === 0x5b) return 'json';
    // Text has no NUL bytes and few control characters.
    const control = head.filter((b) => b < 32 && !BLANK.has(b)).length;
    return head.includes(0) || control > got / 100 ? 'binary' : 'text';
  } finally {
    closeSync(fd);
  }
}
