// Model names (= file names) → definitions. The CLI, configs, reports and exports use these names.
import { OptmsmError } from '../errors.js';
import { m2m } from './m2m.js';
import { mmoe } from './mmoe.js';
import type { ModelDefinition } from './model.js';
import { optmsm } from './optmsm.js';
import { pepnet } from './pepnet.js';
import { ple } from './ple.js';
import { sharedBottom } from './shared-bottom.js';
import { star } from './star.js';

const definitions: readonly ModelDefinition[] = [optmsm, sharedBottom, mmoe, ple, star, m2m, pepnet] as ModelDefinition[];

export const MODELS: ReadonlyMap<string, ModelDefinition> = new Map(definitions.map((d) => [d.name, d]));

export function modelNames(): string[] {
  return [...MODELS.keys()];
}

export function getModel(name: string): ModelDefinition {
  const definition = MODELS.get(name);
  if (!definition) {
    throw new OptmsmError('E_MODEL_UNKNOWN', `no model named '${name}'`, {
      location: 'model.name', expected: modelNames().join(', '), found: name,
    });
  }
  return definition;
}
