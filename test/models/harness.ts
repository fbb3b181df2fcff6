// A minimal training/inference loop over the compiled graphs for model tests: theta initialised from the
// ParamSpecs, the batch embeddings E fed as a plain input (no tables), plain SGD on theta.
import { compile, fillInit, Rng, Session, type CompiledModel, type Feed } from '../../src/engine/index.js';
import {
  buildCtrGraph, embeddingWidth, numericCount, type CtrGraphOptions, type FieldInfo, type ModelContext, type ModelDefinition,
} from '../../src/models/index.js';

export function field(name: string, kind: FieldInfo['kind'], scope: FieldInfo['scope'], vocabSize = 10, embeddingDim = 4): FieldInfo {
  const numeric = kind === 'numeric';
  return { name, kind, scope, vocabSize: numeric ? 0 : vocabSize, embeddingDim: numeric ? 0 : embeddingDim, maxLen: 1, pooling: 'mean' };
}

/** user, item, genre (shared), age (numeric), scenario (specific): a tiny ML-100k look-alike. */
export const TINY_FIELDS: FieldInfo[] = [
  field('user', 'categorical', 'shared', 20),
  field('item', 'categorical', 'shared', 30),
  field('genre', 'categorical', 'shared', 6),
  field('age', 'numeric', 'shared'),
  field('scenario', 'categorical', 'specific', 5),
];
export const TINY_CTX: ModelContext = { fields: TINY_FIELDS, numScenarios: 3, scenarioField: 'scenario' };

export interface Batch {
  size: number;
  E: Float32Array;
  numeric: Float32Array;
  scenario: Int32Array;
  label: Float32Array;
}

/**
 * Synthetic rows: each field id drawn at random, E = that id's row of a fixed random table (so the scenario
 * field's columns are identical for all rows of one scenario), label from a scenario-dependent linear rule.
 */
export function makeBatch(ctx: ModelContext, size: number, seed: number): Batch {
  const rng = new Rng(seed);
  const tableRng = new Rng(7);
  const width = embeddingWidth(ctx.fields);
  const nNumeric = numericCount(ctx.fields);
  const E = new Float32Array(size * width);
  const numeric = new Float32Array(size * nNumeric);
  const scenario = new Int32Array(size);
  const label = new Float32Array(size);
  const tables = ctx.fields.map((f) => Float32Array.from({ length: f.vocabSize * f.embeddingDim }, () => tableRng.nextNormal() * 0.5));
  for (let b = 0; b < size; b += 1) {
    const s = b % ctx.numScenarios;
    scenario[b] = s;
    let offset = 0;
    let numericIndex = 0;
    let score = 0;
    ctx.fields.forEach((f, fi) => {
      if (f.kind === 'numeric') {
        const v = rng.nextFloat();
        numeric[b * nNumeric + numericIndex] = v;
        numericIndex += 1;
        score += (s - 1) * v;
        return;
      }
      if (f.kind === 'sequence' && f.pooling === 'attention') {
        // A random number of earlier ids from the vocabulary field's table, then zero rows (padding).
        const table = tables[ctx.fields.findIndex((g) => g.name === f.vocabulary)];
        const count = rng.nextU32() % (f.maxLen + 1);
        for (let k = 0; k < count; k += 1) {
          const id = 2 + (rng.nextU32() % (f.vocabSize - 2));
          for (let d = 0; d < f.embeddingDim; d += 1) E[b * width + offset + k * f.embeddingDim + d] = table[id * f.embeddingDim + d];
        }
        offset += f.maxLen * f.embeddingDim;
        return;
      }
      const id = f.name === ctx.scenarioField ? 2 + s : 2 + (rng.nextU32() % (f.vocabSize - 2));
      for (let d = 0; d < f.embeddingDim; d += 1) {
        const v = tables[fi][id * f.embeddingDim + d];
        E[b * width + offset + d] = v;
        if (d === 0) score += (s === 0 ? 1 : -1) * v;
      }
      offset += f.embeddingDim;
    });
    label[b] = score + 0.3 * rng.nextNormal() > 0 ? 1 : 0;
  }
  return { size, E, numeric, scenario, label };
}

export interface StepResult {
  loss: number;
  aux: Record<string, number>;
  gradTheta: Float32Array;
  gradE: Float32Array;
  probability: Float32Array;
  next: Record<string, Float32Array>;
}

export class Harness {
  theta: Float32Array;
  buffers: Record<string, Float32Array> = {};

  private constructor(
    readonly compiled: CompiledModel,
    readonly ctx: ModelContext,
    private readonly train: Session,
    private readonly infer: Session,
    seed: number,
  ) {
    const rng = new Rng(seed);
    this.theta = new Float32Array(compiled.thetaSize);
    for (const p of compiled.params) fillInit(this.theta.subarray(p.offset, p.offset + p.size), p.shape, p.init, rng);
    for (const b of compiled.buffers) {
      const values = new Float32Array(b.size);
      fillInit(values, b.shape, b.init, rng);
      this.buffers[b.name] = values;
    }
  }

  static async create(
    definition: ModelDefinition, config: unknown, ctx: ModelContext = TINY_CTX, seed = 1, options: CtrGraphOptions = {},
  ): Promise<Harness> {
    const compiled = compile(buildCtrGraph(definition, config, ctx, options));
    const [train, infer] = await Promise.all([Session.create(compiled.training, { threads: 1 }), Session.create(compiled.inference, { threads: 1 })]);
    return new Harness(compiled, ctx, train, infer, seed);
  }

  private feeds(batch: Batch, theta: Float32Array): Record<string, Feed> {
    const width = embeddingWidth(this.ctx.fields);
    const nNumeric = numericCount(this.ctx.fields);
    const feeds: Record<string, Feed> = {
      E: { data: batch.E, shape: [batch.size, width] },
      numeric: { data: batch.numeric, shape: [batch.size, nNumeric] },
      scenario: { data: batch.scenario, shape: [batch.size], dtype: 'int32' },
      label: { data: batch.label, shape: [batch.size] },
      theta: { data: theta, shape: [theta.length] },
    };
    for (const b of this.compiled.buffers) feeds[b.name] = { data: this.buffers[b.name], shape: b.shape };
    // Keep-all dropout masks: tests compare exact values, so dropout is the identity here.
    for (const m of this.compiled.dropoutMasks) {
      const shape = m.shape.map((d) => (d === 'B' ? batch.size : d));
      feeds[m.name] = { data: new Float32Array(shape.reduce((a, d) => a * d, 1)).fill(1), shape };
    }
    return feeds;
  }

  async step(batch: Batch, theta: Float32Array = this.theta): Promise<StepResult> {
    const out = await this.train.run(this.feeds(batch, theta));
    const f32 = (name: string) => (out[name] ? new Float32Array(out[name].data as Float32Array) : new Float32Array(0));
    const aux = Object.fromEntries(this.compiled.auxNames.map((n) => [n, f32(`aux/${n}`)[0]]));
    const next = Object.fromEntries(this.compiled.buffers.filter((b) => b.updated).map((b) => [b.name, f32(`next/${b.name}`)]));
    return { loss: f32('loss')[0], aux, gradTheta: f32('grad/theta'), gradE: f32('grad/E'), probability: f32('out/probability'), next };
  }

  async predict(batch: Batch, theta: Float32Array = this.theta): Promise<Float32Array> {
    const out = await this.infer.run(this.feeds(batch, theta));
    return new Float32Array(out['out/probability'].data as Float32Array);
  }

  /** Plain SGD on theta over the batches; returns the loss of each step. */
  async sgd(batches: Batch[], steps: number, lr: number): Promise<number[]> {
    const losses: number[] = [];
    for (let i = 0; i < steps; i += 1) {
      const r = await this.step(batches[i % batches.length]);
      losses.push(r.loss);
      for (let j = 0; j < this.theta.length; j += 1) this.theta[j] -= lr * r.gradTheta[j];
      Object.assign(this.buffers, r.next);
    }
    return losses;
  }

  async release(): Promise<void> {
    await Promise.all([this.train.release(), this.infer.release()]);
  }
}
