// The engine's public surface: the tracing API and ops (used by models), compile/exportModel, and the runtime.
export type { DType, Dim, Init } from './tensor.js';
export { Tensor } from './tensor.js';
export { assignBuffer, buffer, constant, input, isTraining, param, scope } from './trace.js';
export {
  abs, add, argsort, bceWithLogits, cast, concat, div, dropout, equal, exp, gather, greater, groupedMatmul, groupedOuter,
  invertPermutation, layerNorm, leakyRelu, linearOp, log, matmul, maximum, minimum, mul, neg, oneHot, permuteRows,
  reduceMean, reduceSum, relu, reshape, sigmoid, sign, slice, softmax, sqrt, squeeze, stopGradient, sub, tanh,
  transpose, unsqueeze, where,
} from './ops/index.js';
export { compile } from './compile.js';
export { exportModel } from './export.js';
export type { ExportEmbedding, ExportEmbeddingField, ExportValues } from './export.js';
export { REFERENCE_SIZES, buildReferenceModel, thetaFromTorch, thetaToTorch } from './reference-model.js';
export type { BufferSpec, CompiledModel, GraphSpec, InputSpec, MaskSpec, ParamSpec } from './compile.js';
export * from './runtime/index.js';
