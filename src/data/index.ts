// The data room's public surface (docs/architecture.md, "data"; docs/data.md for the schema and formats).
export type { EncodedColumns, FieldInfo } from './columns.js';
export { PAD_ID, OOV_ID, SCENARIO_FIELD } from './contracts.js';
export {
  loadDatasetConfig, parseDatasetConfig, readConfigFile, datasetConfigSchema, SPLITS,
  type DatasetConfig, type DatasetConfigInput, type FeatureSpec, type SyntheticSpec, type SplitName, type SplitSpec, type CsvOptions, type DataFormat,
} from './schema.js';
export { parseLabelRule, applyLabelRule, type LabelRule } from './label-rule.js';
export { FeatureEncoder, ENCODER_FORMAT_VERSION, type EncoderState, type FieldState } from './feature-encoder.js';
export {
  prepareDataset, prepareDatasetToStore, encodeFile, defaultCacheDir,
  type PrepareOptions, type PrepareReport, type PreparedDataset, type StoredPrepared, type EncodeFileOptions,
} from './prepare.js';
export { readRows, readSplit, type StoredDataset } from './store.js';
export { datasetFingerprint } from './fingerprint.js';
export { keySplitOf, ratioSplitOf } from './encode/split.js';
export { registerReader, readerFormats, type BadRow, type FileRows, type Reader, type ReadContext, type ScanOptions } from './readers/index.js';
export {
  batchIterator, streamBatches, numericMatrix, batchCount, permutation, mulberry32, gatherColumns,
  type Batch, type BatchOptions, type StreamOptions,
} from './batches.js';
export {
  generateSynthetic, ensureSyntheticData, syntheticConfigYaml, SYNTHETIC_COLUMNS, DEFAULTS as SYNTHETIC_DEFAULTS,
  type SyntheticOptions, type SyntheticResult, type ScenarioSummary,
} from './synthetic.js';
export {
  parseWorldSpec, worldColumns, worldFeatures, worldSpecSchema, type WorldSpec, type WorldSpecInput,
} from './world-spec.js';
export {
  generateWorld, loadWorldSpec, worldConfigYaml, worldIsCurrent, writeWorldConfig, WORLD_GENERATOR,
  type IdTail, type LoadedWorld, type WorldResult, type WorldScenarioSummary,
} from './worlds.js';
