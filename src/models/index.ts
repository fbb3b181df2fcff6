// The models room's public surface.
export {
  buildCtrGraph, countParameters, defineModel, SEARCH_CHOICES, SEARCH_DIMENSIONS, embeddingWidth, numericCount, resolveModelConfig,
} from './model.js';
export type {
  CamelKeys, CtrGraphOptions, SearchSpace, FieldInfo, Forward, ModelContext, ModelDefinition, ModelInputs, ModelOutput,
  ParameterCounts,
} from './model.js';
export { getModel, MODELS, modelNames } from './registry.js';
export { orthParameter, orthRepresentation } from './optmsm.js';
