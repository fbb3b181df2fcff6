// The engine runtime: embedding tables, optimizers, ONNX Runtime sessions and the EngineModel that ties them
// together for training and prediction.
export { Rng, type RngState } from './rng.js';
export { fans, fillInit } from './init.js';
export { EmbeddingStore, DEFAULT_EMBEDDING_INIT, type EmbeddingField, type EmbeddingTable, type SparseRowGrad } from './embedding-store.js';
export { DenseOptimizer, type DenseOptimizerConfig, type OptimizerSlots } from './optim/dense.js';
export { SparseOptimizer, type SparseOptimizerConfig } from './optim/sparse.js';
export { clipGlobalNorm, type ClipScope } from './optim/clip.js';
export { Session, DEFAULT_THREADS, resolveExecutionProvider, type Feed, type FeedData, type GraphValue, type SessionOptions } from './session.js';
export type { EngineBatch } from './types.js';
export { EngineModel, type EngineModelOptions, type EngineState, type TrainStepResult } from './engine-model.js';
export { readStateFile, writeStateFile, type StateFileContents } from './state-file.js';
