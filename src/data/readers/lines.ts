// Line arithmetic for line-oriented formats (CSV, JSONL), on the error path only: the line of a parsed row (its
// index plus header lines plus the lines skipped before it), one line's text, the count of non-blank lines.
import { closeSync, openSync, readSync } from 'node:fs';
import type { BadRow } from './reader.js';

/** The 1-based line of row `index` of `path` (0-based among parsed rows), after `headerLines` and skipped lines. */
export function lineOfRow(path: string, index: number, headerLines: number, skipped: readonly BadRow[]): number {
  let line = index + 1 + headerLines;
  for (const b of skipped) if (b.file === path && b.line > 0 && b.line <= line) line++;
  return line;
}

/** Line `n` (1-based) of a text file, read in blocks. */
export function readLine(file: string, n: number): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let line = 1;
    let position = 0;
    let parts: Buffer[] = [];
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, position);
      if (got === 0) return Buffer.concat(parts).toString('utf8');
      let start = 0;
      for (let i = 0; i < got; i++) {
        if (buf[i] !== 10) continue;
        if (line === n) return Buffer.concat([...parts, buf.subarray(start, i)]).toString('utf8').replace(/\r$/, '');
        line++;
        start = i + 1;
        parts = [];
      }
      if (line === n) parts.push(Buffer.from(buf.subarray(start, got)));
      position += got;
    }
  } finally {
    closeSync(fd);
  }
}

/** Lines holding anything but blanks (spaces, tabs, CR). */
export function countNonBlankLines(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let lines = 0;
    let position = 0;
    let nonBlank = false;
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, position);
      if (got === 0) break;
      for (let i = 0; i < got; i++) {
        const b = buf[i]!;
        if (b === 10) {
          if (nonBlank) lines++;
          nonBlank = false;
        } else if (b !== 13 && b !== 32 && b !== 9) nonBlank = true;
      }
      position += got;
    }
    return lines + (nonBlank ? 1 : 0);
  } finally {
    closeSync(fd);
  }
}
