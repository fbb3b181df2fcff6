// The train room's public surface: run configs, the trainer, run directories, the bench, and report rendering.
export { loadRunConfig, parseTrainConfig, runConfigSchema, type RunConfig } from './experiment.js';
export { trainConfigSchema, type TrainConfig, type TrainConfigInput } from './train-config.js';
export { evaluateSplit, predictColumns, trainModel, type TrainOptions, type TrainResult } from './trainer.js';
export { loadData, runTraining, type RunOptions, type RunOutcome } from './run.js';
export { loadRun, RUN_FILES, scoreColumns, type SavedRun, type SavedRunConfig } from './saved-run.js';
export { ablationEntries, oracleOf, runBench, type BenchEntry, type BenchOptions, type BenchOutcome } from './bench.js';
export {
  renderBenchTable, renderScenarioTable, summariseBench,
  type BenchOracle, type BenchRow, type BenchSummary, type TableFormat,
} from './report.js';
export { writeFileAtomic, writeFileAtomicSync, writeJsonAtomicSync } from './checkpoint-io.js';
