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

/**
 * For each of `lines` (ascending 1-based logical line numbers, as DuckDB's CSV reader counts them: a newline inside
 * a quoted cell does not end a line, empty lines count), the number of lines after the first `headerLines` and
 * before it that hold anything (blank ones hold no row). `quote` '' means no quoting; `escape` null means the
 * quote doubles itself. With `whitespaceIsBlank`, lines of spaces and tabs are blank too (JSONL).
 */
export function rowLinesBefore(
  file: string, lines: readonly number[], options: { quote: string; escape: string | null; headerLines: number; whitespaceIsBlank: boolean },
): number[] {
  const quote = options.quote === '' ? -1 : Buffer.from(options.quote)[0]!;
  const escape = options.escape === null || options.escape === options.quote ? -1 : Buffer.from(options.escape)[0]!;
  const out: number[] = [];
  let line = 1;
  let rows = 0;
  let filled = false;
  let quoted = false;
  let escaped = false;
  const startLine = () => {
    while (out.length < lines.length && lines[out.length] === line) out.push(rows);
  };
  startLine();
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let position = 0; out.length < lines.length; ) {
      const got = readSync(fd, buf, 0, buf.length, position);
      if (got === 0) break;
      position += got;
      for (let i = 0; i < got && out.length < lines.length; i++) {
        const b = buf[i]!;
        if (escaped) escaped = false;
        else if (quoted && b === escape) escaped = true;
        else if (b === quote) quoted = !quoted;
        else if (b === 10 && !quoted) {
          if (filled && line > options.headerLines) rows++;
          line++;
          filled = false;
          startLine();
          continue;
        }
        if (b !== 13 && !(options.whitespaceIsBlank && (b === 32 || b === 9))) filled = true;
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** The 1-based line where a quote opens that the file never closes (`escape` null: the quote doubles itself), or null. */
export function unclosedQuoteLine(file: string, quote: string, escape: string | null): number | null {
  if (quote === '') return null;
  const q = Buffer.from(quote)[0]!;
  const e = escape === null || escape === quote ? -1 : Buffer.from(escape)[0]!;
  let line = 1;
  let opened = 0;
  let quoted = false;
  let escaped = false;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let position = 0; ; ) {
      const got = readSync(fd, buf, 0, buf.length, position);
      if (got === 0) break;
      position += got;
      for (let i = 0; i < got; i++) {
        const b = buf[i]!;
        if (escaped) escaped = false;
        else if (quoted && b === e) escaped = true;
        else if (b === q) {
          quoted = !quoted;
          if (quoted) opened = line;
        }
        if (b === 10) line++;
      }
    }
  } finally {
    closeSync(fd);
  }
  return quoted ? opened : null;
}
