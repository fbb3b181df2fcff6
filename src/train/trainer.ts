// The training loop: mixed-scenario batches, per-epoch validation, early stopping on validation AUC, the best
// weights always restored at the end, atomic checkpoints every epoch (so --resume continues a killed run to the
// same result), and a JSON-lines log. Models never train themselves; this is the only loop.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { batchIterator, type EncodedColumns, type PreparedDataset } from '../data/index.js';
import { type CompiledModel, compile, EngineModel, type EngineBatch } from '../engine/index.js';
import { OptmsmError } from '../errors.js';
import { evaluateByScenario, type EvaluateOptions, type SplitMetrics } from '../metrics/index.js';
import { buildCtrGraph, countParameters, getModel, type ParameterCounts, resolveModelConfig } from '../models/index.js';
import { readJsonFileSync, writeJsonAtomicSync } from './checkpoint-io.js';
import { EarlyStopping, earlyStoppingStateSchema } from './early-stopping.js';
import { embeddingFields, toEngineBatch } from './engine-batch.js';
import { JsonlLog, readJsonl, rewriteJsonl } from './jsonl-log.js';
import { createProgress } from './progress.js';
import { createLrSchedule, lrScheduleStateSchema } from './schedules.js';
import type { TrainConfig } from './train-config.js';

export interface TrainOptions {
  data: PreparedDataset;
  model: string;
  /** Model options as written (snake_case); defaults are filled in. */
  modelConfig?: unknown;
  train: TrainConfig;
  seed: number;
  /** Checkpoints and the JSON-lines log go here. */
  dir: string;
  resume?: boolean;
  /** The command that resumes this run, printed when SIGINT or SIGTERM stops it (default: "the same command with --resume"). */
  resumeCommand?: string;
  /** Where progress bars / lines go (default stderr). */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  log?: (line: string) => void;
}

export interface TrainResult {
  engine: EngineModel;
  compiled: CompiledModel;
  modelConfig: Record<string, unknown>;
  /** 1-based; null when the validation AUC was never defined. */
  bestEpoch: number | null;
  epochsRun: number;
  validation: SplitMetrics;
  seconds: number;
  samplesPerSecond: number;
  parameters: ParameterCounts;
  skippedBatches: number;
}

const trainerStateSchema = z.strictObject({
  epoch: z.number().int(),
  /** The engine state after `epoch` epochs, a file in the checkpoint folder. */
  checkpoint: z.string(),
  seconds: z.number(),
  samples: z.number(),
  earlyStopping: earlyStoppingStateSchema,
  schedule: lrScheduleStateSchema,
});
type TrainerState = z.infer<typeof trainerStateSchema>;

export async function predictColumns(engine: EngineModel, data: PreparedDataset, columns: EncodedColumns, batchSize: number): Promise<Float32Array> {
  const probability = new Float32Array(columns.rows);
  let start = 0;
  for (const batch of batchIterator(columns, { batchSize, shuffle: false, fields: data.fields })) {
    const out = await engine.predict(toEngineBatch(batch));
    probability.set(out.probability, start);
    start += batch.size;
  }
  return probability;
}

export async function evaluateSplit(
  engine: EngineModel,
  data: PreparedDataset,
  columns: EncodedColumns,
  train: TrainConfig,
  options: Pick<EvaluateOptions, 'reliabilityBins'> = {},
): Promise<SplitMetrics> {
  return (await scoreSplit(engine, data, columns, train, options)).metrics;
}

/** The split's metrics and the click probability of each of its rows, in the split's order. */
export async function scoreSplit(
  engine: EngineModel,
  data: PreparedDataset,
  columns: EncodedColumns,
  train: TrainConfig,
  options: Pick<EvaluateOptions, 'reliabilityBins'> = {},
): Promise<{ metrics: SplitMetrics; probability: Float32Array }> {
  const probability = await predictColumns(engine, data, columns, train.evalBatchSize);
  const bad = probability.findIndex((p) => !Number.isFinite(p));
  if (bad >= 0) {
    throw new OptmsmError('E_TRAIN_NON_FINITE', `the model predicts a non-finite probability (row ${bad} of the evaluated split)`, {
      location: `step ${engine.step}`,
      found: `${engine.skippedSteps} training batches skipped as non-finite so far`,
      hint: 'the weights have diverged: lower the learning rate or enable clip_norm',
    });
  }
  const groups = train.gaucField ? columns.ids[train.gaucField] : undefined;
  if (train.gaucField && !groups) {
    throw new OptmsmError('E_CONFIG_INVALID', `gauc_field '${train.gaucField}' is not a categorical feature`, {
      location: 'train.gauc_field',
      expected: Object.keys(columns.ids).join(', '),
    });
  }
  const metrics = evaluateByScenario(probability, columns.label, columns.scenario, data.scenarios.values, groups ? { ...options, groups } : options);
  return { metrics, probability };
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const { data, train, seed, dir } = options;
  const log = options.log ?? (() => {});
  const definition = getModel(options.model);
  const modelConfig = resolveModelConfig(definition, options.modelConfig ?? {});
  const ctx = {
    fields: data.fields,
    numScenarios: data.scenarios.values.length,
    scenarioField: data.scenarios.column,
    priorLogit: priorLogit(train.prior, data.train, data.scenarios.values.length),
  };
  const compiled = compile(buildCtrGraph(definition, modelConfig, ctx));
  const engine = await EngineModel.create({
    compiled,
    fields: embeddingFields(data.fields),
    optimizer: train.optimizer,
    sparseOptimizer: train.sparseOptimizer,
    seed,
    threads: train.threads,
    onNonFinite: train.onNonFinite,
    clipNorm: train.clipNorm,
  });
  if (data.train.rows === 0) throw new OptmsmError('E_DATA_EMPTY', 'the training split has no rows');

  const stepsPerEpoch = Math.ceil(data.train.rows / train.batchSize);
  const schedule = createLrSchedule(train.schedule, { baseLr: train.optimizer.lr, totalSteps: stepsPerEpoch * train.epochs });
  const sparseBaseLr = train.sparseOptimizer.lr;
  const files = checkpointFiles(dir);
  mkdirSync(files.dir, { recursive: true });

  let state: TrainerState = {
    epoch: 0, checkpoint: '', seconds: 0, samples: 0,
    earlyStopping: { bestEpoch: null, bestAuc: null, badEpochs: 0, stopped: false },
    schedule: schedule.getState(),
  };
  if (options.resume && existsSync(files.state)) {
    state = readJsonFileSync(files.state, trainerStateSchema, { code: 'E_TRAIN_CHECKPOINT', what: 'trainer checkpoint' });
    engine.load(join(files.dir, state.checkpoint));
    schedule.setState(state.schedule);
    // Epoch lines written after the checkpoint belong to the lost epoch: drop them so the log matches the state.
    rewriteJsonl(files.log, readJsonl(files.log).entries.filter((e) => typeof e.epoch === 'number' && e.epoch <= state.epoch));
    log(`resuming from the checkpoint after epoch ${state.epoch} (${state.checkpoint})`);
  } else if (options.resume) {
    log(`no checkpoint in ${files.dir}: training from the start`);
  }
  const early = new EarlyStopping(train.earlyStopping, state.earlyStopping);
  const jsonl = JsonlLog.open(files.log, { truncate: !options.resume });
  let validation: SplitMetrics | null = null;
  // SIGINT/SIGTERM stop training between two batches: nothing of the current epoch is written, the checkpoint of
  // the last finished epoch stays, and the error says how to resume.
  const stop = new StopSignals();

  try {
    for (let epoch = state.epoch; epoch < train.epochs && !early.stopped; epoch++) {
      const started = performance.now();
      const progress = createProgress({ total: data.train.rows, label: `epoch ${epoch + 1}/${train.epochs}`, stream: options.progress ?? process.stderr });
      let lossSum = 0;
      let lossRows = 0;
      let done = 0;
      let step = epoch * stepsPerEpoch;
      const auxSum: Record<string, number> = {};
      for (const batch of batchIterator(data.train, { batchSize: train.batchSize, seed, epoch, fields: data.fields })) {
        if (stop.signal !== null) {
          progress.stop();
          throw interrupted(stop.signal, epoch, state, files.dir, options.resumeCommand);
        }
        const factor = schedule.factorAt(step, epoch);
        engine.setLearningRate(train.optimizer.lr * factor, sparseBaseLr * factor);
        const result = await trainStepAt(engine, toEngineBatch(batch), epoch, step - epoch * stepsPerEpoch, state.checkpoint);
        if (!result.skipped) {
          lossSum += result.loss * batch.size;
          lossRows += batch.size;
          for (const [k, v] of Object.entries(result.aux)) auxSum[k] = (auxSum[k] ?? 0) + v * batch.size;
        }
        done += batch.size;
        step++;
        const elapsed = (performance.now() - started) / 1000;
        progress.update(done, { loss: lossRows ? lossSum / lossRows : Number.NaN, samplesPerSecond: done / elapsed });
      }
      progress.stop();
      const trainSeconds = (performance.now() - started) / 1000;
      validation = await evaluateSplit(engine, data, data.validation, train);
      const decision = early.update(epoch + 1, validation.auc);
      schedule.onEpochEnd(validation.auc);
      if (decision.improved) saveAtomic(engine, files.best);
      // The engine state goes to a new file first; trainer.json, replaced atomically, then points at it. A kill at
      // any moment leaves a consistent pair.
      const checkpoint = `epoch-${epoch + 1}.bin`;
      saveAtomic(engine, join(files.dir, checkpoint));
      const previous = state.checkpoint;
      state = {
        epoch: epoch + 1,
        checkpoint,
        seconds: state.seconds + trainSeconds,
        samples: state.samples + data.train.rows,
        earlyStopping: early.getState(),
        schedule: schedule.getState(),
      };
      const line = {
        epoch: epoch + 1,
        train_loss: lossRows ? lossSum / lossRows : null,
        train_aux: Object.fromEntries(Object.entries(auxSum).map(([k, v]) => [k, lossRows ? v / lossRows : null])),
        validation_auc: validation.auc,
        validation_logloss: validation.logloss,
        lr: engine.learningRates.dense,
        seconds: trainSeconds,
        samples_per_second: data.train.rows / trainSeconds,
        improved: decision.improved,
        skipped_batches: engine.skippedSteps,
      };
      // The log line before the state that counts the epoch: a resume drops lines past the state, never misses one.
      jsonl.append(line);
      writeJsonAtomicSync(files.state, state);
      if (previous && previous !== checkpoint) rmSync(join(files.dir, previous), { force: true });
      log(
        `epoch ${epoch + 1}: loss ${fmt(line.train_loss)}, validation AUC ${fmt(validation.auc)} ` +
          `logloss ${fmt(validation.logloss)}${decision.improved ? ' (best)' : ''}, ${Math.round(line.samples_per_second)} samples/s`,
      );
    }
  } finally {
    stop.release();
    jsonl.close();
  }

  // Best weights are restored whether early stopping fired or the epoch limit was hit. With a validation AUC that
  // was never defined (one-class validation data) there is no best epoch and the last weights stay.
  if (early.bestEpoch !== null && existsSync(files.best)) engine.load(files.best);
  else log('validation AUC was never defined (one class?): keeping the last epoch weights');
  validation = await evaluateSplit(engine, data, data.validation, train);
  return {
    engine,
    compiled,
    modelConfig,
    bestEpoch: early.bestEpoch,
    epochsRun: state.epoch,
    validation,
    seconds: state.seconds,
    samplesPerSecond: state.seconds > 0 ? state.samples / state.seconds : 0,
    parameters: countParameters(compiled, data.fields),
    skippedBatches: engine.skippedSteps,
  };
}

/**
 * The log-odds of the training split's click rate, overall or per scenario, smoothed by one pseudo-click and one
 * pseudo-skip so that a scenario without positives (or without negatives) gets a finite prior.
 */
export function priorLogit(prior: TrainConfig['prior'], columns: Pick<EncodedColumns, 'rows' | 'label' | 'scenario'>, numScenarios: number): number[] | undefined {
  if (prior === 'none') return undefined;
  const groups = prior === 'global' ? 1 : numScenarios;
  const clicks = new Float64Array(groups);
  const rows = new Float64Array(groups);
  for (let i = 0; i < columns.rows; i++) {
    const g = groups === 1 ? 0 : columns.scenario[i]!;
    clicks[g]! += columns.label[i]!;
    rows[g]! += 1;
  }
  return Array.from(clicks, (c, g) => Math.log((c + 1) / (rows[g]! - c + 1)));
}

/** A non-finite loss stops training naming the epoch and batch; the last epoch checkpoint stays for --resume. */
async function trainStepAt(engine: EngineModel, batch: EngineBatch, epoch: number, batchIndex: number, checkpoint: string) {
  try {
    return await engine.trainStep(batch);
  } catch (error) {
    if (!(error instanceof OptmsmError) || error.code !== 'E_TRAIN_NON_FINITE') throw error;
    throw new OptmsmError('E_TRAIN_NON_FINITE', `${error.message} (epoch ${epoch + 1}, batch ${batchIndex + 1})`, {
      location: error.location,
      hint: `${error.hint ?? ''}${checkpoint ? `; the checkpoint after epoch ${epoch} is kept (--resume continues from it)` : ''}`,
    });
  }
}

/** Records SIGINT and SIGTERM instead of dying on them, until released. */
class StopSignals {
  signal: 'SIGINT' | 'SIGTERM' | null = null;
  private readonly onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    this.signal ??= signal;
  };
  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }
  release(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

function interrupted(signal: 'SIGINT' | 'SIGTERM', epoch: number, state: TrainerState, dir: string, resumeCommand: string | undefined): OptmsmError {
  const resume = resumeCommand ?? 'the same command with --resume';
  const kept = state.checkpoint
    ? { location: join(dir, state.checkpoint), found: `the checkpoint after epoch ${state.epoch}`, hint: `resume with: ${resume}` }
    : { location: dir, found: 'no checkpoint yet (the first epoch had not finished)', hint: `nothing to resume: ${resume} starts from the beginning` };
  return new OptmsmError('E_TRAIN_INTERRUPTED', `training stopped by ${signal} during epoch ${epoch + 1}; nothing of that epoch was saved`, {
    ...kept, exitCode: 128 + SIGNAL_NUMBERS[signal],
  });
}

/** The run directory's checkpoint folder. */
export const CHECKPOINT_DIR = 'checkpoints';

function checkpointFiles(dir: string) {
  const checkpoints = join(dir, CHECKPOINT_DIR);
  return {
    dir: checkpoints,
    best: join(checkpoints, 'best.bin'),
    state: join(checkpoints, 'trainer.json'),
    log: join(dir, 'log.jsonl'),
  };
}

/** Whether `dir` holds a training checkpoint that `resume` can continue from. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(checkpointFiles(dir).state);
}

/** The epoch of the checkpoint in `dir`, or null when there is none. */
export function checkpointEpoch(dir: string): number | null {
  const { state } = checkpointFiles(dir);
  return existsSync(state) ? readJsonFileSync(state, trainerStateSchema, { code: 'E_TRAIN_CHECKPOINT', what: 'trainer checkpoint' }).epoch : null;
}

export function saveAtomic(engine: EngineModel, file: string): void {
  const tmp = `${file}.tmp`;
  engine.save(tmp);
  renameSync(tmp, file);
}

const fmt = (x: number | null) => (x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(4));
