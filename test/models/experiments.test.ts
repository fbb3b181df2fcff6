// The committed experiment files name only registered models and valid options.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { getModel, resolveModelConfig } from '../../src/models/index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../configs/experiments');

it.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('%s resolves every model and variant config', (file) => {
  const run = parse(readFileSync(join(dir, file), 'utf8')) as {
    models?: Record<string, Record<string, unknown>>;
    variants?: Record<string, { model: string; config?: Record<string, unknown> }>;
  };
  for (const [name, options] of Object.entries(run.models ?? {})) expect(resolveModelConfig(getModel(name), options)).toBeTruthy();
  for (const { model, config } of Object.values(run.variants ?? {})) {
    expect(resolveModelConfig(getModel(model), { ...run.models?.[model], ...config })).toBeTruthy();
  }
});
