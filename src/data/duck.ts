// A small wrapper over @duckdb/node-api: one in-memory instance per job, SQL quoting, and zero-copy access to the
// typed arrays behind result vectors (DuckDB fills fixed-width vectors as plain little-endian arrays; the node-api
// keeps them in a private `items` field, which we read when present and fall back to getItem otherwise).
import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk, type DuckDBVector } from '@duckdb/node-api';

export interface DuckOptions {
  threads?: number;
  /** DuckDB memory_limit, e.g. '2GB'; larger data spills to `tempDir`. */
  memoryLimit?: string;
  tempDir?: string;
}

export class DuckSession {
  private constructor(private readonly instance: DuckDBInstance, readonly conn: DuckDBConnection) {}

  static async open(options: DuckOptions = {}): Promise<DuckSession> {
    const settings: Record<string, string> = { threads: String(options.threads ?? 2) };
    if (options.memoryLimit) settings.memory_limit = options.memoryLimit;
    if (options.tempDir) settings.temp_directory = options.tempDir;
    const instance = await DuckDBInstance.create(':memory:', settings);
    return new DuckSession(instance, await instance.connect());
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  /** Rows as plain JS objects (BIGINT as bigint: cast counts to DOUBLE/INTEGER in SQL). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /**
   * Streams result chunks in order. The next chunk is requested before the current one is handed out, so DuckDB
   * computes it while JavaScript processes this one.
   */
  async *chunks(sql: string): AsyncGenerator<DuckDBDataChunk> {
    const result = await this.conn.stream(sql);
    let next = result.fetchChunk();
    try {
      for (;;) {
        const chunk = await next;
        if (!chunk || chunk.rowCount === 0) return;
        next = result.fetchChunk();
        yield chunk;
      }
    } finally {
      // A consumer that stops early leaves one request in flight: its outcome no longer matters.
      next.catch(() => {});
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
export const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;
export const listLiteral = (values: readonly string[]): string => `[${values.map(literal).join(', ')}]`;

type Typed = Int32Array | Float64Array | Uint8Array;
function itemsOf<T extends Typed>(vector: DuckDBVector, ctor: { new (n: number): T; name: string }): T {
  const items = (vector as unknown as { items?: unknown }).items;
  if (items instanceof (ctor as unknown as typeof Int32Array)) return items as unknown as T;
  const n = vector.itemCount;
  if (process.env.OPTMSM_DEBUG_VECTORS) process.stderr.write(`slow vector path: ${String(vector.type)} as ${ctor.name}\n`);
  const out = new ctor(n);
  for (let i = 0; i < n; i++) {
    const v = vector.getItem(i);
    out[i] = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : v === null && ctor.name === 'Float64Array' ? Number.NaN : 0;
  }
  return out;
}

/** An INTEGER column (no NULLs: coalesce them in SQL) as an Int32Array view. */
export const int32Column = (chunk: DuckDBDataChunk, i: number): Int32Array => itemsOf(chunk.getColumnVector(i), Int32Array);
/**
 * An unsigned code column (UTINYINT, USMALLINT or INTEGER, no NULLs) as a view of its own width: codes are
 * stored in the narrowest type that holds them, which halves the code table for typical vocabularies.
 */
export function codeColumn(chunk: DuckDBDataChunk, i: number): Uint8Array | Uint16Array | Int32Array {
  const vector = chunk.getColumnVector(i);
  const items = (vector as unknown as { items?: unknown }).items;
  if (items instanceof Uint8Array || items instanceof Uint16Array || items instanceof Int32Array) return items;
  return itemsOf(vector, Int32Array);
}
/** A DOUBLE column (NULLs coalesced to NaN in SQL) as a Float64Array view. */
export const float64Column = (chunk: DuckDBDataChunk, i: number): Float64Array => itemsOf(chunk.getColumnVector(i), Float64Array);
/** A UTINYINT column as a Uint8Array view. */
export const uint8Column = (chunk: DuckDBDataChunk, i: number): Uint8Array => itemsOf(chunk.getColumnVector(i), Uint8Array);

/** The first line of a DuckDB error, without its SQL echo. */
export function duckMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('LINE ') && !/^\s*\^/.test(l)).slice(0, 3).join(' ');
}
