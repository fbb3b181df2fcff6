// `optmsm --help` must start fast: the modules the CLI loads before a command runs (its static imports, followed
// through every file) reach neither ONNX Runtime, DuckDB, Fastify nor the schema and data libraries; commands
// import those inside their actions.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const HEAVY = ['onnxruntime-node', '@duckdb/node-api', 'fastify', 'zod', 'yaml', 'protobufjs', 'onnx-proto', 'cli-progress'];

/** Value imports of a file (type-only imports are erased by the compiler, dynamic ones run later). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

function loadedAtStartup(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (files.includes(file)) continue;
    files.push(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
      else if (!specifier.startsWith('node:')) packages.add(specifier);
    }
  }
  return { files, packages };
}

describe('CLI startup', () => {
  it('loads no heavy module before a command runs', () => {
    const { files, packages } = loadedAtStartup(resolve(src, 'cli/main.ts'));
    expect(files.map((f) => relative(src, f))).toContain('cli/commands/train.ts'); // the walk follows the commands
    expect([...packages].filter((p) => HEAVY.includes(p))).toEqual([]);
    expect(files.filter((f) => !relative(src, f).startsWith('cli/') && relative(src, f) !== 'errors.ts')).toEqual([]);
  });
});
