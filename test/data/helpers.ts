// Shared test helpers for the data room: fixture paths, temporary directories, tiny config variants.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { OptmsmError } from '../../src/errors.js';
import { parseDatasetConfig, type DatasetConfig } from '../../src/data/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const fixtures = resolve(here, '../fixtures/data');
export const repoRoot = resolve(here, '../..');
export const sharedData = resolve(repoRoot, '../shared/data');

/** A temporary directory removed after the test file. */
export function tempDir(prefix = 'optmsm-data-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The tiny fixture config, with top-level keys overridden (raw YAML keys, snake_case). */
export function tinyConfig(overrides: Record<string, unknown> = {}, baseDir = fixtures): DatasetConfig {
  const raw = parse(readFileSync(join(fixtures, 'tiny.yaml'), 'utf8')) as Record<string, unknown>;
  return parseDatasetConfig({ ...raw, ...overrides }, 'tiny.yaml', baseDir);
}

/** Runs fn and returns the OptmsmError it throws (fails the test if it throws anything else or nothing). */
export async function optmsmError(fn: () => unknown): Promise<OptmsmError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof OptmsmError) return e;
    throw new Error(`expected an OptmsmError, got: ${e instanceof Error ? e.stack : String(e)}`);
  }
  throw new Error('expected an OptmsmError, but nothing was thrown');
}

/** Rows of a small CSV as objects (no quoting in our fixtures). */
export function csvRows(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
}
