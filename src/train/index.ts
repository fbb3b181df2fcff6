// The train room's public surface: run configs, the trainer, run directories, the bench, and report rendering.
export { loadRunConfig, parseTrainConfig, resolveRunConfig, runConfigSchema, type RunConfig } from './experiment.js';
export { trainConfigSchema, type TrainConfig, type TrainConfigInput } from './train-config.js';
export { evaluateSplit, predictColumns, priorLogit, trainModel, type TrainOptions, type TrainResult } from './trainer.js';
export { defaultRunDir, loadData, runTraining, type RunOptions, type RunOutcome } from './run.js';
export { codeVersion } from './code-version.js';
export {
  checkModelInputs, evaluateFile, loadRun, modelFeeds, modelInputs, predictFile, readRun, readTestScores, RUN_FILES, scoreColumns,
  type FilePredictions, type RunFiles, type SavedRun, type SavedRunConfig,
} from './saved-run.js';
export { MANIFEST_FILE, readVerifiedFiles, sha256, VERIFIED_FILES, writeManifest, type Manifest } from './manifest.js';
export {
  bestConfigFile, TRAINING_SPACE, trialPlan, trialTrain, tunedEntries, tuneModel,
  type Trial, type TrialResult, type TuneOptions, type TuneOutcome,
} from './tune.js';
export {
  loadSuite, loadVariants, runSuite, suiteFileSchema, tuneSuite, type SuiteTuneOptions,
  type Suite, type SuiteOptions, type SuiteOutcome, type SuiteResult, type SuiteRow, type SuiteWorld, type SuiteWorldResult,
} from './suite.js';
export {
  ablationEntries, benchSeeds, defaultBenchDir, entryLabel, runBench, trainEntries, variantEntries, type BenchEntry, type BenchOptions, type BenchOutcome,
} from './bench.js';
export {
  renderBenchTable, renderScenarioTable, summariseBench,
  type BenchColumns, type BenchRow, type BenchSummary, type TableFormat,
} from './report.js';
export { oracleOf } from './oracle.js';
export {
  benchReportSections, benchSubtitle, readRunReportInput, renderBenchReport, renderRunReport, REPORT_FILES, reportPage,
  runReportSections, scenarioSection, writeReport, writeRunReport,
  type BenchReportInput, type ReportSection, type RunReportInput,
} from './report-html.js';
export { writeFileAtomic, writeFileAtomicSync, writeJsonAtomicSync } from './checkpoint-io.js';
