// Data for the engine's reference model (../shared/design/engine.md), shared by bench/engine.ts and the torch
// parity test: seeded initial weights, one embedding table used by all 20 fields (as torch_reference.py's
// single nn.Embedding), uniform random ids and Bernoulli labels, and the raw files torch_reference.py reads.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CompiledModel, type EmbeddingField, type EngineBatch, EngineModel, type EngineModelOptions, REFERENCE_SIZES, Rng,
  buildReferenceModel, compile, fillInit, thetaToTorch,
} from '../../src/engine/index.js';

export const REFERENCE_BATCH = 2048;

export interface ReferenceData {
  vocab: number;
  compiled: CompiledModel;
  /** Initial theta in our layout. */
  theta: Float32Array;
  /** Initial embedding table [vocab, 16] (row 0 zero; the data never uses id 0); null: keep the model's own. */
  table: Float32Array | null;
  batches: EngineBatch[];
}

export function referenceFields(vocab: number): EmbeddingField[] {
  return Array.from({ length: REFERENCE_SIZES.fields }, (_, f) => ({ name: `f${f}`, vocabSize: vocab, dim: REFERENCE_SIZES.dim, table: 'emb' }));
}

export function makeReferenceData(vocab: number, numBatches: number, seed = 1): ReferenceData {
  const compiled = compile(buildReferenceModel(vocab));
  const rng = new Rng(seed);
  const theta = new Float32Array(compiled.thetaSize);
  for (const p of compiled.params) fillInit(theta.subarray(p.offset, p.offset + p.size), p.shape, p.init, rng);
  const table = new Float32Array(vocab * REFERENCE_SIZES.dim);
  fillInit(table, [vocab, REFERENCE_SIZES.dim], { kind: 'normal', std: 0.05 }, rng);
  table.fill(0, 0, REFERENCE_SIZES.dim);
  const batches: EngineBatch[] = [];
  for (let k = 0; k < numBatches; k++) {
    const ids = Array.from({ length: REFERENCE_SIZES.fields }, () => {
      const a = new Int32Array(REFERENCE_BATCH);
      for (let b = 0; b < REFERENCE_BATCH; b++) a[b] = 1 + (rng.nextU32() % (vocab - 1));
      return a;
    });
    const label = new Float32Array(REFERENCE_BATCH);
    for (let b = 0; b < REFERENCE_BATCH; b++) label[b] = rng.nextFloat() < 0.3 ? 1 : 0;
    batches.push({ size: REFERENCE_BATCH, ids, dense: { label: { data: label, shape: [REFERENCE_BATCH] } } });
  }
  return { vocab, compiled, theta, table, batches };
}

/** Writes the files torch_reference.py reads (see its docstring). */
export function writeTorchData(dir: string, data: ReferenceData): void {
  mkdirSync(dir, { recursive: true });
  const F = REFERENCE_SIZES.fields;
  const bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ V: data.vocab, nb: data.batches.length }));
  writeFileSync(join(dir, 'theta.bin'), bytes(thetaToTorch(data.compiled.params, data.theta)));
  if (!data.table) throw new Error('writeTorchData needs the initial table');
  writeFileSync(join(dir, 'emb.bin'), bytes(data.table));
  const ids = new Int32Array(data.batches.length * REFERENCE_BATCH * F);
  const y = new Float32Array(data.batches.length * REFERENCE_BATCH);
  data.batches.forEach((batch, k) => {
    for (let b = 0; b < REFERENCE_BATCH; b++) for (let f = 0; f < F; f++) ids[(k * REFERENCE_BATCH + b) * F + f] = batch.ids[f][b];
    y.set(batch.dense.label.data as Float32Array, k * REFERENCE_BATCH);
  });
  writeFileSync(join(dir, 'ids.bin'), bytes(ids));
  writeFileSync(join(dir, 'y.bin'), bytes(y));
}

/** An EngineModel of the reference model holding `data`'s initial weights, trained with Adam + SparseAdam at 1e-3. */
export async function createReferenceEngine(data: ReferenceData, options: Partial<EngineModelOptions> = {}): Promise<EngineModel> {
  const model = await EngineModel.create({
    compiled: data.compiled,
    fields: referenceFields(data.vocab),
    optimizer: { name: 'adam', lr: 1e-3 },
    sparseOptimizer: { name: 'adam', lr: 1e-3 },
    seed: 1,
    ...options,
  });
  model.theta.set(data.theta);
  if (data.table) model.store.table('emb').data.set(data.table);
  return model;
}
