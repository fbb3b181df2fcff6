// Model names (= file names) → definitions. The CLI, configs, reports and exports use these names.
import { OptmsmError } from '../errors.js';
import { adaptdhm } from './adaptdhm.js';
import { adasparse } from './adasparse.js';
import { apg } from './apg.js';
import { epnet } from './epnet.js';
import { hamur } from './hamur.js';
import { hinet } from './hinet.js';
import { m2m } from './m2m.js';
import { m3oe } from './m3oe.js';
import { mmoe } from './mmoe.js';
import type { ModelDefinition } from './model.js';
import { optmsm } from './optmsm.js';
import { pepnet } from './pepnet.js';
import { ple } from './ple.js';
import { ppnet } from './ppnet.js';
import { sarNet } from './sar-net.js';
import { sharedBottom } from './shared-bottom.js';
import { star } from './star.js';

const definitions: readonly ModelDefinition[] = [
  optmsm, sharedBottom, mmoe, ple, star, m2m, pepnet, sarNet, adasparse, adaptdhm, hamur, m3oe, apg, hinet, epnet, ppnet,
] as ModelDefinition[];

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
