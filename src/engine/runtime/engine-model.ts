// EngineModel ties the runtime together: theta, buffers and embedding tables live here in Float32Arrays; each
// training step gathers the batch's embeddings, runs the compiled training graph in ONNX Runtime, applies the
// dense optimizer to theta and the lazy sparse optimizer to the rows the batch touched, and stores the new
// buffer values. Everything that decides the next step (weights, moments, step counts, the dropout PRNG) is in
// getState()/save(), so a run resumed from a saved state continues bit for bit as if never interrupted.
import { availableParallelism } from 'node:os';
import type * as ort from 'onnxruntime-node';
import { OptmsmError } from '../../errors.js';
import type { CompiledModel } from '../compile.js';
import type { Dim } from '../tensor.js';
import { EmbeddingStore, type EmbeddingField, type SparseRowGrad } from './embedding-store.js';
import { HelperThread } from './helper-thread.js';
import { fillInit } from './init.js';
import { KernelMemory } from './kernels/index.js';
import { type ClipScope, clipGlobalNorm } from './optim/clip.js';
import { DenseOptimizer, type DenseOptimizerConfig, type OptimizerSlots } from './optim/dense.js';
import { SparseOptimizer, type SparseOptimizerConfig } from './optim/sparse.js';
import { Rng, type RngState } from './rng.js';
import { type Feed, Session } from './session.js';
import { readStateFile, writeStateFile } from './state-file.js';
import type { EngineBatch } from './types.js';

export interface EngineModelOptions {
  compiled: CompiledModel;
  /** Embedding fields in the order of their columns in E (and of EngineBatch.ids). */
  fields: readonly EmbeddingField[];
  optimizer: DenseOptimizerConfig;
  sparseOptimizer: SparseOptimizerConfig;
  seed: number;
  /** ONNX Runtime intra-op threads. Default 2. */
  threads?: number;
  /** See Session: 'cpu' unless set here or by OPTMSM_EXECUTION_PROVIDER. */
  executionProvider?: string;
  /**
   * See Session. Default: false with the helper thread (a spinning ORT thread would take the core the helper
   * needs between runs; measured slower), true without it (ONNX Runtime's default).
   */
  spinning?: boolean;
  /** A NaN/Inf loss throws E_TRAIN_NON_FINITE ('error', default) or the batch is skipped and counted. */
  onNonFinite?: 'error' | 'skip';
  /** Global gradient-norm limit; null or absent = no clipping. */
  clipNorm?: number | null;
  /** What the clipping norm covers (see optim/clip.ts). Default 'all'. */
  clipScope?: ClipScope;
  /** Name of the data input that receives the gathered embeddings. Default 'E'. */
  embeddingInput?: string;
  /**
   * Threads for the sparse update: 2 puts half of each step's gather and rows on a helper thread
   * (helper-thread.ts). Default 2 when the machine has 2 or more cores, else 1. Results are identical either way.
   * (One thread with spinning ORT threads is ~2% faster for the engine benchmark's 10k-row model, but 30%
   * slower for OptMSM on ML-100k, whose steps have more to gather and pool.)
   */
  sparseThreads?: 1 | 2;
}

export interface TrainStepResult {
  loss: number;
  aux: Record<string, number>;
  /** The training graph's `out/<name>` values (predictions of this batch before the update). */
  outputs: Record<string, Float32Array>;
  /** True when the loss was not finite and onNonFinite is 'skip': nothing was updated. */
  skipped: boolean;
  /** Global gradient norm before clipping (only computed when clipping is on). */
  gradNorm: number | null;
}

export interface EngineState {
  theta: Float32Array;
  buffers: Record<string, Float32Array>;
  tables: Record<string, Float32Array>;
  dense: OptimizerSlots;
  sparse: Record<string, OptimizerSlots>;
  step: number;
  skipped: number;
  rng: RngState;
  learningRates: { dense: number; sparse: number };
}

interface StateHeader {
  format: 'optmsm-engine-state';
  thetaSize: number;
  step: number;
  skipped: number;
  rng: RngState;
  learningRates: { dense: number; sparse: number };
  denseStep: number;
  sparseSteps: Record<string, number>;
}

// The helper thread holds references to the tables; a model dropped without dispose() must still free it.
const helpers = new FinalizationRegistry<HelperThread>((helper) => void helper.terminate());

export class EngineModel {
  readonly compiled: CompiledModel;
  readonly theta: Float32Array;
  readonly buffers: Record<string, Float32Array>;
  readonly store: EmbeddingStore;
  private readonly denseOpt: DenseOptimizer;
  private readonly sparseOpt: SparseOptimizer;
  private readonly training: Session;
  private readonly inference: Session;
  private readonly rng: Rng;
  private readonly options: EngineModelOptions;
  private readonly embeddingInput: string | null;
  private readonly masks = new Map<string, Float32Array>();
  private readonly trainE = { buffer: new Float32Array(0) as Float32Array, view: new Float32Array(0) as Float32Array };
  private readonly predictE = { buffer: new Float32Array(0) as Float32Array, view: new Float32Array(0) as Float32Array };
  private stepCount = 0;
  private skippedCount = 0;

  private readonly helper: HelperThread | null;

  private constructor(options: EngineModelOptions, training: Session, inference: Session) {
    const { compiled } = options;
    this.options = options;
    this.compiled = compiled;
    this.training = training;
    this.inference = inference;
    // One seed, two streams: initial values first, then the dropout masks (whose state is saved).
    const initRng = new Rng(options.seed);
    this.theta = new Float32Array(compiled.thetaSize);
    for (const p of compiled.params) fillInit(this.theta.subarray(p.offset, p.offset + p.size), p.shape, p.init, initRng);
    this.buffers = {};
    for (const b of compiled.buffers) {
      this.buffers[b.name] = new Float32Array(b.size);
      fillInit(this.buffers[b.name], b.shape, b.init, initRng);
    }
    const memory = tableKernelMemory(options.fields, options.sparseOptimizer);
    this.helper = options.sparseThreads === 2 ? new HelperThread(memory) : null;
    if (this.helper) helpers.register(this, this.helper, this);
    this.store = new EmbeddingStore(options.fields, initRng, { helper: this.helper, memory });
    this.rng = initRng.fork();
    // In the helper's memory, so that the dense update can run there while this thread scatters dL/dE.
    this.denseOpt = new DenseOptimizer(options.optimizer, compiled.thetaSize, this.helper?.memory ?? null);
    this.sparseOpt = new SparseOptimizer(options.sparseOptimizer, this.store.tables, this.helper, memory);
    this.embeddingInput = this.checkEmbeddingInput(options.embeddingInput ?? 'E');
  }

  static async create(options: EngineModelOptions): Promise<EngineModel> {
    const sparseThreads = options.sparseThreads ?? (availableParallelism() >= 2 ? 2 : 1);
    const spinning = options.spinning ?? sparseThreads === 1;
    const sessionOptions = { threads: options.threads, executionProvider: options.executionProvider, spinning };
    const [training, inference] = await Promise.all([
      Session.create(options.compiled.training, sessionOptions),
      Session.create(options.compiled.inference, sessionOptions),
    ]);
    return new EngineModel({ ...options, sparseThreads }, training, inference);
  }

  /** Successful training steps so far (skipped batches not counted). */
  get step(): number {
    return this.stepCount;
  }

  get skippedSteps(): number {
    return this.skippedCount;
  }

  get parameterCounts(): { dense: number; embedding: number } {
    return { dense: this.compiled.thetaSize, embedding: this.store.parameterCount };
  }

  get learningRates(): { dense: number; sparse: number } {
    return { dense: this.denseOpt.lr, sparse: this.sparseOpt.lr };
  }

  /** Sets the learning rate for the next steps; without `sparse` the embedding rate keeps its configured ratio. */
  setLearningRate(dense: number, sparse?: number): void {
    this.denseOpt.lr = dense;
    this.sparseOpt.lr = sparse ?? (dense * this.options.sparseOptimizer.lr) / this.options.optimizer.lr;
  }

  async trainStep(batch: EngineBatch): Promise<TrainStepResult> {
    const feeds = this.feeds(batch, true);
    const out = await this.training.run(feeds);
    const loss = scalar(out, 'loss');
    const aux: Record<string, number> = {};
    for (const name of this.compiled.auxNames) aux[name] = scalar(out, `aux/${name}`);
    const outputs = outputsOf(out);
    const gradTheta = this.compiled.thetaSize > 0 ? (out['grad/theta'].data as Float32Array) : new Float32Array(0);
    // A finite loss can still come with a NaN gradient (e.g. sqrt at 0); the dense gradient is cheap to check
    // and any NaN in the embedding gradient reaches it through the first layer.
    const what = !Number.isFinite(loss) ? `the loss is ${loss}` : !allFinite(gradTheta) ? 'the gradient of the dense weights is not finite' : null;
    if (what !== null) {
      this.store.release();
      if ((this.options.onNonFinite ?? 'error') === 'error') {
        throw new OptmsmError('E_TRAIN_NON_FINITE', `${what} at training step ${this.stepCount + 1}`, {
          location: `step ${this.stepCount + 1}`,
          hint: 'lower the learning rate, enable clip_norm, or set on_non_finite: skip to skip such batches',
        });
      }
      this.skippedCount++;
      return { loss, aux, outputs, skipped: true, gradNorm: null };
    }
    const clipNorm = this.options.clipNorm ?? null;
    // Without clipping (which needs every gradient first), a kernel dense update runs on the helper during the scatter.
    const helperMemory = this.helper?.memory ?? null;
    const denseOnHelper = clipNorm === null && helperMemory !== null && gradTheta.length > 0 && this.denseOpt.memory === helperMemory;
    const denseCall = denseOnHelper ? this.denseOpt.startUpdate(this.theta, gradTheta) : null;
    if (denseCall !== null) this.helper!.startKernels([denseCall]);
    let sparse: SparseRowGrad[];
    try {
      sparse = this.embeddingInput !== null ? this.store.scatter(out[`grad/${this.embeddingInput}`].data as Float32Array) : [];
    } finally {
      if (denseCall !== null) {
        this.helper!.wait();
        this.denseOpt.finishUpdate(this.theta);
      }
    }
    const gradNorm = clipNorm !== null ? clipGlobalNorm(gradTheta, sparse, clipNorm, this.options.clipScope ?? 'all') : null;
    this.sparseOpt.update(sparse, gradTheta.length > 0 && !denseOnHelper ? () => this.denseOpt.update(this.theta, gradTheta) : null);
    this.store.release();
    for (const b of this.compiled.buffers) if (b.updated) this.buffers[b.name].set(out[`next/${b.name}`].data as Float32Array);
    this.stepCount++;
    return { loss, aux, outputs, skipped: false, gradNorm };
  }

  /**
   * The training graph's loss and gradients for a batch, without updating anything (weights, moments, buffers,
   * step count): dL/dθ and dL/dE [B, Σ widths] (E is the batch's gathered embeddings). For diagnostics, e.g.
   * gradient norms per module. Dropout masks are drawn as in training, so the dropout stream advances.
   */
  async gradients(batch: EngineBatch): Promise<{ loss: number; theta: Float32Array; embeddings: Float32Array; outputs: Record<string, Float32Array> }> {
    const feeds = this.feeds(batch, true);
    try {
      const out = await this.training.run(feeds);
      return {
        loss: scalar(out, 'loss'),
        theta: this.compiled.thetaSize > 0 ? (out['grad/theta'].data as Float32Array).slice() : new Float32Array(0),
        embeddings: this.embeddingInput !== null ? (out[`grad/${this.embeddingInput}`].data as Float32Array).slice() : new Float32Array(0),
        outputs: outputsOf(out),
      };
    } finally {
      this.store.release();
    }
  }

  /** Runs the inference graph: `out/<name>` values by name, without the prefix. */
  async predict(batch: EngineBatch): Promise<Record<string, Float32Array>> {
    return outputsOf(await this.inference.run(this.feeds(batch, false)));
  }

  /** A copy of everything that decides future steps. */
  getState(): EngineState {
    return this.stateViews(true);
  }

  setState(state: EngineState): void {
    const expectLength = (what: string, found: Float32Array | undefined, length: number) => {
      if (!found || found.length !== length) {
        throw new OptmsmError('E_ENGINE_STATE', `saved state does not match the model: ${what}`, {
          expected: `${length} values`,
          found: found ? `${found.length} values` : 'missing',
        });
      }
    };
    expectLength('theta', state.theta, this.theta.length);
    for (const [name, values] of Object.entries(this.buffers)) expectLength(`buffer ${name}`, state.buffers[name], values.length);
    for (const t of this.store.tables) expectLength(`embedding table ${t.name}`, state.tables[t.name], t.data.length);
    this.denseOpt.setState(state.dense);
    this.sparseOpt.setState(state.sparse);
    this.theta.set(state.theta);
    for (const [name, values] of Object.entries(this.buffers)) values.set(state.buffers[name]);
    for (const t of this.store.tables) t.data.set(state.tables[t.name]);
    this.stepCount = state.step;
    this.skippedCount = state.skipped;
    this.rng.setState(state.rng);
    this.denseOpt.lr = state.learningRates.dense;
    this.sparseOpt.lr = state.learningRates.sparse;
  }

  save(file: string): void {
    const state = this.stateViews(false);
    const arrays = new Map<string, Float32Array>([['theta', state.theta]]);
    for (const [k, v] of Object.entries(state.buffers)) arrays.set(`buffer/${k}`, v);
    for (const [k, v] of Object.entries(state.tables)) arrays.set(`table/${k}`, v);
    for (const [k, v] of Object.entries(state.dense.slots)) arrays.set(`dense/${k}`, v);
    for (const [t, s] of Object.entries(state.sparse)) for (const [k, v] of Object.entries(s.slots)) arrays.set(`sparse/${t}/${k}`, v);
    const header: StateHeader = {
      format: 'optmsm-engine-state',
      thetaSize: this.theta.length,
      step: state.step,
      skipped: state.skipped,
      rng: state.rng,
      learningRates: state.learningRates,
      denseStep: state.dense.step,
      sparseSteps: Object.fromEntries(Object.entries(state.sparse).map(([t, s]) => [t, s.step])),
    };
    writeStateFile(file, header, arrays);
  }

  load(file: string): void {
    const { header, arrays } = readStateFile<StateHeader>(file);
    if (header.format !== 'optmsm-engine-state' || header.thetaSize !== this.theta.length) {
      throw new OptmsmError('E_ENGINE_STATE', `${file} was saved from another model`, {
        location: file,
        expected: `theta of ${this.theta.length} values`,
        found: `theta of ${header.thetaSize} values`,
      });
    }
    const pick = (prefix: string) =>
      Object.fromEntries([...arrays].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    const sparse: Record<string, OptimizerSlots> = {};
    for (const [t, step] of Object.entries(header.sparseSteps)) sparse[t] = { step, slots: pick(`sparse/${t}/`) };
    this.setState({
      theta: arrays.get('theta')!,
      buffers: pick('buffer/'),
      tables: pick('table/'),
      dense: { step: header.denseStep, slots: pick('dense/') },
      sparse,
      step: header.step,
      skipped: header.skipped,
      rng: header.rng,
      learningRates: header.learningRates,
    });
  }

  async dispose(): Promise<void> {
    helpers.unregister(this);
    await Promise.all([this.training.release(), this.inference.release(), this.helper?.terminate()]);
  }

  private stateViews(copy: boolean): EngineState {
    const c = (a: Float32Array) => (copy ? a.slice() : a);
    return {
      theta: c(this.theta),
      buffers: Object.fromEntries(Object.entries(this.buffers).map(([k, v]) => [k, c(v)])),
      tables: Object.fromEntries(this.store.tables.map((t) => [t.name, c(t.data)])),
      dense: this.denseOpt.getState(copy),
      sparse: this.sparseOpt.getState(copy),
      step: this.stepCount,
      skipped: this.skippedCount,
      rng: this.rng.getState(),
      learningRates: this.learningRates,
    };
  }

  private checkEmbeddingInput(name: string): string | null {
    const spec = this.compiled.inputs.find((i) => i.name === name);
    if (!spec) {
      if (this.store.width > 0) {
        throw new OptmsmError('E_ENGINE_GRAPH', `the model has embedding fields but no data input named ${name}`, { expected: name });
      }
      return null;
    }
    const width = spec.shape[spec.shape.length - 1];
    if (spec.shape.length !== 2 || spec.shape[0] !== 'B' || width !== this.store.width) {
      throw new OptmsmError('E_ENGINE_GRAPH', `data input ${name} does not fit the embedding fields`, {
        expected: `[B, ${this.store.width}]`,
        found: `[${spec.shape.join(', ')}]`,
      });
    }
    return name;
  }

  private feeds(batch: EngineBatch, training: boolean): Record<string, Feed> {
    const size = batch.size;
    if (!Number.isInteger(size) || size < 1) throw new OptmsmError('E_ENGINE_RUNTIME', `batch size must be a positive integer, got ${size}`);
    const feeds: Record<string, Feed> = {};
    for (const spec of this.compiled.inputs) {
      if (spec.name === this.embeddingInput) continue;
      const value = batch.dense[spec.name];
      if (!value) continue; // the inference graph may not need it (e.g. the label); Session reports what is missing
      const expected = concreteSize(spec.shape, size);
      if (value.data.length !== expected) {
        throw new OptmsmError('E_ENGINE_RUNTIME', `batch input ${spec.name} has ${value.data.length} values`, {
          location: spec.name,
          expected: `${expected} values for shape [${spec.shape.join(', ')}] at batch size ${size}`,
          found: String(value.data.length),
        });
      }
      feeds[spec.name] = { data: value.data, shape: value.shape, dtype: spec.dtype };
    }
    if (this.embeddingInput !== null) {
      const E = this.embeddingBuffer(training, size * this.store.width);
      this.store.gather(size, batch.ids, E, training);
      feeds[this.embeddingInput] = { data: E, shape: [size, this.store.width] };
    }
    feeds.theta = { data: this.theta, shape: [this.theta.length] };
    for (const b of this.compiled.buffers) feeds[b.name] = { data: this.buffers[b.name], shape: b.shape };
    if (training) for (const m of this.compiled.dropoutMasks) feeds[m.name] = { data: this.mask(m.name, m.shape, m.rate, size), shape: concreteShape(m.shape, size) };
    return feeds;
  }

  /**
   * The E buffer for a batch of n values. Buffers keep their capacity (an epoch's last, smaller batch must not
   * reallocate them) and the view is reused while n stays the same (the helper thread is sent a new view only
   * when it changes). In the store's memory, where the gather kernels and the helper fill it; Session copies it
   * for ORT when that memory is shared.
   */
  private embeddingBuffer(training: boolean, n: number): Float32Array {
    const slot = training ? this.trainE : this.predictE;
    if (slot.view.length === n) return slot.view;
    if (slot.buffer.length < n) slot.buffer = this.store.float32(n);
    slot.view = slot.buffer.subarray(0, n);
    return slot.view;
  }

  /** A fresh keep-mask (1 with probability 1 - rate, else 0) from the saved PRNG stream. */
  private mask(name: string, shape: readonly Dim[], rate: number, size: number): Float32Array {
    const n = concreteSize(shape, size);
    let m = this.masks.get(name);
    if (!m || m.length < n) {
      m = new Float32Array(n);
      this.masks.set(name, m);
    }
    this.rng.fillKeepMask(m, n, rate);
    return m.subarray(0, n);
  }
}

/** Tables, moments and batch scratch above this many bytes stay in JavaScript arrays (and loops): wasm32 memory ends at 4 GiB. */
const TABLE_KERNEL_LIMIT = 3 * 2 ** 30;
const SCRATCH_BYTES = 16 * 2 ** 20;

/** The kernel memory for the embedding tables and their optimizer state, or null when there are none or too many. */
function tableKernelMemory(fields: readonly EmbeddingField[], sparse: SparseOptimizerConfig): KernelMemory | null {
  const tableSizes = new Map(fields.map((f) => [f.table ?? f.name, f.vocabSize * f.dim]));
  const tableFloats = [...tableSizes.values()].reduce((a, b) => a + b, 0);
  const bytes = 4 * tableFloats * (sparse.name === 'adam' ? 3 : 2);
  if (bytes === 0 || bytes > TABLE_KERNEL_LIMIT) return null;
  return new KernelMemory(bytes + SCRATCH_BYTES);
}

function allFinite(x: Float32Array): boolean {
  // x * 0 is 0 for finite x and NaN for NaN/Inf, so one sum tells (and cannot overflow). Four independent sums,
  // because one waits on each add's latency (3x slower on 158k weights).
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const whole = x.length & ~3;
  let i = 0;
  for (; i < whole; i += 4) {
    a += x[i] * 0;
    b += x[i + 1] * 0;
    c += x[i + 2] * 0;
    d += x[i + 3] * 0;
  }
  for (; i < x.length; i++) a += x[i] * 0;
  return a + b + c + d === 0;
}

function concreteShape(shape: readonly Dim[], size: number): number[] {
  return shape.map((d) => (d === 'B' ? size : d));
}

function concreteSize(shape: readonly Dim[], size: number): number {
  return concreteShape(shape, size).reduce((a, b) => a * b, 1);
}

function scalar(out: Record<string, ort.Tensor>, name: string): number {
  return (out[name].data as Float32Array)[0];
}

function outputsOf(out: Record<string, ort.Tensor>): Record<string, Float32Array> {
  const result: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(out)) if (name.startsWith('out/')) result[name.slice(4)] = t.data as Float32Array;
  return result;
}
