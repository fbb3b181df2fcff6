// The per-epoch training log: one JSON object per line, appended and synced as each epoch ends, so a killed run
// keeps every finished epoch. A kill in the middle of a write can leave a last line without its newline; the
// reader drops that torn tail and says so, while a bad line anywhere else is corruption and an error.
import * as fs from 'node:fs';
import { OptmsmError } from '../errors.js';
import { toJson, writeFileAtomicSync } from './checkpoint-io.js';

export class JsonlLog {
  private constructor(
    readonly path: string,
    private fd: number | null,
  ) {}

  /** Opens for appending (creating the file); `truncate` starts it empty. */
  static open(path: string, { truncate = false }: { truncate?: boolean } = {}): JsonlLog {
    try {
      return new JsonlLog(path, fs.openSync(path, truncate ? 'w' : 'a'));
    } catch (err) {
      throw new OptmsmError('E_TRAIN_CHECKPOINT', `cannot open the training log ${path}`, {
        location: path,
        found: (err as Error).message,
      });
    }
  }

  /** Writes one object as one line and syncs it to disk before returning. */
  append(entry: Record<string, unknown>): void {
    if (this.fd === null) throw new OptmsmError('E_TRAIN_CHECKPOINT', `the training log ${this.path} is closed`);
    fs.writeSync(this.fd, toJson(entry, 0));
    fs.fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

export interface JsonlContents {
  entries: Record<string, unknown>[];
  /** True when the file ended in a partial line (a write cut short), which was left out. */
  tornTail: boolean;
}

function parseObject(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    return isObject ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function readJsonl(path: string): JsonlContents {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    throw new OptmsmError('E_TRAIN_CHECKPOINT', `cannot read the training log ${path}`, {
      location: path,
      found: (err as Error).message,
    });
  }
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  const entries = lines.map((line, i) => {
    const entry = parseObject(line);
    if (entry === null) {
      throw new OptmsmError('E_TRAIN_CHECKPOINT', 'the training log has a corrupt line', {
        location: `${path}:${i + 1}`,
        expected: 'one JSON object per line',
        found: line.length > 80 ? `${line.slice(0, 80)}…` : line,
      });
    }
    return entry;
  });
  return { entries, tornTail: tail.length > 0 };
}

/** Replaces the log with these entries atomically, e.g. dropping epochs after the checkpoint a run resumes from. */
export function rewriteJsonl(path: string, entries: readonly Record<string, unknown>[]): void {
  writeFileAtomicSync(path, entries.map((e) => toJson(e, 0)).join(''));
}
