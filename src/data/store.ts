// The encoded cache on disk: one directory per (data files, config) key holding meta.json, encoder.json and one
// raw little-endian file per column and split. Columns are written at their final offsets while encoding (so
// encoding never holds a split in memory) and read back either whole or in row ranges (for streaming).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OptmsmError } from '../errors.js';
import { columnLayout, columnOf, emptyColumns, type ColumnDtype, type ColumnSink, type ColumnSpec, type EncodedColumns } from './columns.js';
import { FeatureEncoder } from './feature-encoder.js';
import type { SplitName } from './schema.js';

export const CACHE_VERSION = 1;

const BYTES: Record<ColumnDtype, number> = { int32: 4, float32: 4, uint8: 1, float64: 8 };

export interface StoreMeta {
  cacheVersion: number;
  key: string;
  rows: Record<SplitName, number>;
  layout: ColumnSpec[];
  report: Record<string, unknown>;
}

/** One output file with a write-behind buffer: appends at the running end coalesce into large writes. */
class BufferedFile {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  /** File position of buffer[0]. */
  private start = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(bytes: Uint8Array, position: number): void {
    if (position !== this.start + this.used || this.used + bytes.length > this.buffer.length) {
      this.flush();
      this.start = position;
    }
    if (bytes.length > this.buffer.length) {
      writeSync(this.fd, bytes, 0, bytes.length, position);
      this.start = position + bytes.length;
      return;
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }
  flush(): void {
    if (this.used > 0) writeSync(this.fd, this.buffer, 0, this.used, this.start);
    this.start += this.used;
    this.used = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Writes columns of each split straight into their files at the right byte offsets (buffered). */
export class DiskSink {
  private readonly files = new Map<string, BufferedFile>();
  private readonly index: Map<ColumnSpec['key'], number>;
  constructor(private readonly dir: string, private readonly layout: ColumnSpec[]) {
    this.index = new Map(layout.map((c, i) => [c.key, i]));
  }
  forSplit(split: SplitName): ColumnSink {
    mkdirSync(join(this.dir, split), { recursive: true });
    // One file handle per column of this split, looked up once per key.
    const byKey = new Map<ColumnSpec['key'], { file: BufferedFile; bytes: number }>();
    return {
      write: (key, elementOffset, data) => {
        let target = byKey.get(key);
        if (!target) {
          const i = this.index.get(key)!;
          const path = join(this.dir, split, `${i}.bin`);
          let file = this.files.get(path);
          if (!file) {
            file = new BufferedFile(path);
            this.files.set(path, file);
          }
          target = { file, bytes: BYTES[this.layout[i]!.dtype] };
          byKey.set(key, target);
        }
        target.file.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), elementOffset * target.bytes);
      },
    };
  }
  close(): void {
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}

export function writeStoreMeta(dir: string, encoder: FeatureEncoder, meta: StoreMeta): void {
  encoder.save(join(dir, 'encoder.json'));
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
}

export const storeLayout = (encoder: FeatureEncoder): ColumnSpec[] => columnLayout(encoder.fields, encoder.state.extraColumns);

/** Moves a finished temporary entry into place (another process may have won the race: keep theirs). */
export function commitEntry(tmp: string, final: string): void {
  if (existsSync(final)) {
    rmSync(tmp, { recursive: true, force: true });
    return;
  }
  try {
    renameSync(tmp, final);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface StoredDataset {
  dir: string;
  meta: StoreMeta;
  encoder: FeatureEncoder;
}

/** Opens a cache entry, or returns null when it is missing or unreadable (it is then rebuilt). */
export function openStore(dir: string): StoredDataset | null {
  if (!existsSync(join(dir, 'meta.json'))) return null;
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as StoreMeta;
    if (meta.cacheVersion !== CACHE_VERSION) return null;
    return { dir, meta, encoder: FeatureEncoder.load(join(dir, 'encoder.json')) };
  } catch {
    return null;
  }
}

/** Reads rows [start, start + count) of one split from the store. */
export function readRows(store: StoredDataset, split: SplitName, start: number, count: number): EncodedColumns {
  const total = store.meta.rows[split];
  if (start < 0 || start + count > total) {
    throw new OptmsmError('E_DATA_ENCODER', `rows ${start}..${start + count} are outside the ${total} ${split} rows of ${store.dir}`, { location: store.dir });
  }
  const out = emptyColumns(store.encoder.fields, store.encoder.state.extraColumns, count);
  store.meta.layout.forEach((c, i) => {
    const target = columnOf(out, c.key);
    const bytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
    const fd = openSync(join(store.dir, split, `${i}.bin`), 'r');
    try {
      let done = 0;
      const position = start * c.width * BYTES[c.dtype];
      while (done < bytes.length) {
        const n = readSync(fd, bytes, done, bytes.length - done, position + done);
        if (n === 0) throw new OptmsmError('E_DATA_ENCODER', `cache file ${join(store.dir, split, `${i}.bin`)} is truncated`, { location: store.dir });
        done += n;
      }
    } finally {
      closeSync(fd);
    }
  });
  out.hasLabel = true;
  return out;
}

export function readSplit(store: StoredDataset, split: SplitName): EncodedColumns {
  return readRows(store, split, 0, store.meta.rows[split]);
}
