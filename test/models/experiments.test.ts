// The committed experiment files name only registered models and valid options.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { getModel, resolveModelConfig } from '../../src/models/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../configs/experiments');

/** Resolving fills in every key of the model's schema and keeps each value the file gives. */
function expectResolves(model: string, options: Record<string, unknown>): void {
  const definition = getModel(model);
  const resolved = resolveModelConfig(definition, options);
  expect(Object.keys(resolved).sort()).toEqual(Object.keys(definition.config.shape).sort());
  expect(resolved).toMatchObject(options);
}

it.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('%s resolves every model and variant config', (file) => {
  const run = parse(readFileSync(join(dir, file), 'utf8')) as {
    models?: Record<string, Record<string, unknown>>;
    variants?: Record<string, { model: string; config?: Record<string, unknown> }>;
  };
  for (const [name, options] of Object.entries(run.models ?? {})) expectResolves(name, options ?? {});
  for (const { model, config } of Object.values(run.variants ?? {})) expectResolves(model, { ...run.models?.[model], ...config });
});
