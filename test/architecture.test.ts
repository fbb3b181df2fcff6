// Keeps the rooms' boundaries (docs/architecture.md): dependencies point one way, cli → train/serve → models →
// engine, with data and metrics used by train and serve only; other rooms import a room through its index.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Which rooms each room may import. errors.ts is a leaf every room may use. */
const allowed: Record<string, string[]> = {
  engine: [],
  data: [],
  metrics: [],
  models: ['engine', 'data'], // data for the FieldInfo type only
  train: ['engine', 'models', 'data', 'metrics'],
  serve: ['engine', 'models', 'data', 'metrics', 'train'],
  cli: ['engine', 'models', 'data', 'metrics', 'train', 'serve'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function roomOf(file: string): string | null {
  const parts = relative(src, file).split(sep);
  return parts.length > 1 ? parts[0] : null;
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const statics = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) => m[1]);
  const dynamics = [...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  const specifiers = [...statics, ...dynamics];
  return specifiers.map((s) => resolve(dirname(file), s));
}

describe('architecture', () => {
  const files = sourceFiles(src);

  it('dependencies between rooms point one way', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = roomOf(file);
      if (from === null) continue;
      for (const target of relativeImports(file)) {
        const to = roomOf(target);
        if (to === null || to === from) continue;
        if (!(allowed[from] ?? []).includes(to)) violations.push(`${relative(src, file)} imports ${relative(src, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('other rooms import a room only through its index', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = roomOf(file);
      for (const target of relativeImports(file)) {
        const to = roomOf(target);
        if (to === null || to === from) continue;
        const inner = relative(join(src, to), target);
        if (inner !== 'index.js' && inner !== 'index.ts') violations.push(`${relative(src, file)} imports ${relative(src, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
