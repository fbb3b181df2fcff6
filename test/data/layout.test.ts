// The data room's own layering (docs/architecture.md, "data"): read → encode → store → batches, one way. A module
// imports only shared leaves (schema, contracts, columns, the encoder, DuckDB helpers) and earlier stages;
// prepare.ts, which runs the whole path, and index.ts sit on top.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const room = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/data');

const STAGES: [string, (file: string) => boolean][] = [
  ['read', (f) => f.startsWith('readers/') || f === 'source.ts'],
  ['encode', (f) => f.startsWith('encode/')],
  ['store', (f) => f === 'store.ts'],
  ['batches', (f) => f === 'batches.ts'],
  // prepare runs the path; the generators (synthetic, worlds) borrow batches' PRNG and write files prepare reads.
  ['top', (f) => ['prepare.ts', 'index.ts', 'synthetic.ts', 'worlds.ts'].includes(f)],
];
/** -1 for a shared leaf. */
const stageOf = (file: string): number => STAGES.findIndex(([, is]) => is(file));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('data room layering', () => {
  it('every stage and every leaf exists where the test expects it', () => {
    const all = files(room).map((f) => relative(room, f));
    for (const [name, is] of STAGES) expect(all.some(is), name).toBe(true);
  });

  it('imports point from later stages to earlier ones, and leaves import only leaves', () => {
    const violations: string[] = [];
    for (const path of files(room)) {
      const from = relative(room, path);
      const text = readFileSync(path, 'utf8');
      for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
        const target = relative(room, resolve(dirname(path), m[1]!)).replace(/\.js$/, '.ts');
        if (target.startsWith('..')) continue;
        if (stageOf(target) > stageOf(from) || (stageOf(from) === -1 && stageOf(target) !== -1)) violations.push(`${from} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
