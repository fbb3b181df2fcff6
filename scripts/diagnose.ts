// npm run diagnose -- --config FILE [--model optmsm] [--set key=JSON ...] [--seed 2022] [--epochs 12] [--patience 4]
//                     [--evals 1] [--inspect] [--scenario-init STD]
//
// The measurements behind docs/results.md's "Diagnosis": one training run (the run config's protocol, the
// trainer's batches) that prints, per epoch, the training loss, AUC/LogLoss on a fixed 20k-row training
// subsample and on the validation split, and the validation AUC per scenario; `--evals N` also evaluates N - 1
// times inside each epoch (the learning curve between epoch ends). `--inspect` adds per epoch, on the first
// 4096 validation rows: gradient norms per module (‖dL/dθ‖ over each parameter prefix), the input sensitivity
// per field (mean ‖dlogit/de_field‖ over rows with |p − y| ≥ 0.05), embedding row norms of user_id/item_id by
// training count, and for OptMSM (h_sp and MLP_c of one ReLU layer, decomposed cores) the generated cores per
// scenario: ‖G(c_s)‖_F (the generated part, the identity excluded) of the scenario's mean core, the mean
// distance between two scenarios' cores, and the gate per scenario. `--scenario-init STD` redraws the scenario
// field's embedding rows N(0, STD²) before training (the engine draws every table N(0, 1e-4²)). At the end:
// the validation and test AUC of the best epoch's weights, overall and per scenario.
import { parseArgs } from 'node:util';
import { batchIterator, type EncodedColumns, type FieldInfo, type PreparedDataset } from '../src/data/index.js';
import { compile, EngineModel, Rng, type CompiledModel } from '../src/engine/index.js';
import { buildCtrGraph, getModel } from '../src/models/index.js';
import { evaluateSplit, loadData, loadRunConfig, oracleOf, priorLogit } from '../src/train/index.js';
import { embeddingFields, toEngineBatch } from '../src/train/engine-batch.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    model: { type: 'string', default: 'optmsm' },
    set: { type: 'string', multiple: true, default: [] },
    seed: { type: 'string' },
    epochs: { type: 'string', default: '12' },
    patience: { type: 'string' },
    evals: { type: 'string', default: '1' },
    inspect: { type: 'boolean', default: false },
    'scenario-init': { type: 'string' },
  },
});
if (!values.config) throw new Error('usage: npm run diagnose -- --config FILE [--model NAME] [--set key=JSON ...]');

const config = loadRunConfig(values.config);
const data = await loadData(config);
const model = values.model!;
const overrides = Object.fromEntries(values.set!.map((kv) => {
  const at = kv.indexOf('=');
  return [kv.slice(0, at), JSON.parse(kv.slice(at + 1)) as unknown];
}));
const S = data.scenarios.values;
const ctx = {
  fields: data.fields, numScenarios: S.length, scenarioField: data.scenarios.column,
  priorLogit: priorLogit(config.train.prior, data.train, S.length), // as the trainer builds it
};
const compiled = compile(buildCtrGraph(getModel(model), { ...(config.models[model] ?? {}), ...overrides }, ctx));
const { train } = config;
const seed = values.seed ? Number(values.seed) : config.seeds[0];
const engine = await EngineModel.create({
  compiled, fields: embeddingFields(data.fields), optimizer: train.optimizer, sparseOptimizer: train.sparseOptimizer, seed, threads: train.threads,
});
const f4 = (x: number | null | undefined) => (x === null || x === undefined ? '  n/a ' : x.toFixed(4));
const perScenario = (m: { scenarios: Record<string, { auc: number | null }> }) => S.map((s) => f4(m.scenarios[s].auc)).join(' ');

if (values['scenario-init']) {
  const std = Number(values['scenario-init']);
  const table = engine.store.table(data.scenarios.column).data;
  const dim = data.fields.find((f) => f.name === data.scenarios.column)!.embeddingDim;
  const rng = new Rng(seed);
  for (let i = 2 * dim; i < table.length; i++) table[i] = std * rng.nextNormal(); // rows 0 (padding) and 1 (OOV) stay
  console.log(`# scenario embedding rows redrawn N(0, ${std}²)`);
}
console.log(`# ${model} ${JSON.stringify(overrides)} on ${config.name}, seed ${seed}, batch ${train.batchSize}, dense ${compiled.thetaSize}`);
const oracle = oracleOf(data, config.dataset.oracleColumn, data.validation);
if (oracle) console.log(`# oracle validation AUC ${f4(oracle.auc)} | ${S.map((s) => f4(oracle.scenarios[s])).join(' ')}`);
console.log(`# scenarios ${S.join(' ')}`);

function head(columns: EncodedColumns, rows: number): EncodedColumns {
  const n = Math.min(rows, columns.rows);
  const cut = <T extends Float64Array | Float32Array | Int32Array | Uint8Array>(v: T, width: number) => v.subarray(0, n * width) as T;
  const width = (name: string) => data.fields.find((f) => f.name === name)?.maxLen ?? 1;
  return {
    ...columns, rows: n,
    ids: Object.fromEntries(Object.entries(columns.ids).map(([k, v]) => [k, cut(v, width(k))])),
    numeric: Object.fromEntries(Object.entries(columns.numeric).map(([k, v]) => [k, cut(v, 1)])),
    extra: Object.fromEntries(Object.entries(columns.extra).map(([k, v]) => [k, Array.isArray(v) ? v.slice(0, n) : cut(v, 1)])),
    label: cut(columns.label, 1), scenario: cut(columns.scenario, 1),
  };
}
const trainHead = head(data.train, 20_000);
const trainCounts = new Map<string, Int32Array>();
for (const f of data.fields.filter((x) => x.kind !== 'numeric')) {
  const counts = new Int32Array(f.vocabSize);
  for (const id of data.train.ids[f.name]) counts[id]++;
  trainCounts.set(f.name, counts);
}

const epochs = Number(values.epochs);
const patience = values.patience ? Number(values.patience) : train.earlyStopping.patience;
const evals = Number(values.evals);
const stepsPerEpoch = Math.ceil(data.train.rows / train.batchSize);
let best = { auc: -1, epoch: 0, state: engine.getState() };
let peak = -1;
if (values.inspect) await inspect(engine, data, compiled, 0);
for (let epoch = 0, bad = 0; epoch < epochs && bad < patience; epoch++) {
  let lossSum = 0;
  let rows = 0;
  let step = 0;
  for (const batch of batchIterator(data.train, { batchSize: train.batchSize, seed, epoch, fields: data.fields })) {
    const result = await engine.trainStep(toEngineBatch(batch));
    lossSum += result.loss * batch.size;
    rows += batch.size;
    step++;
    if (evals > 1 && step < stepsPerEpoch && step % Math.ceil(stepsPerEpoch / evals) === 0) {
      const v = await evaluateSplit(engine, data, data.validation, train);
      peak = Math.max(peak, v.auc ?? -1);
      console.log(`ep ${(epoch + step / stepsPerEpoch).toFixed(2).padStart(5)}                                   | val ${f4(v.auc)} LL ${f4(v.logloss)} | ${perScenario(v)}`);
    }
  }
  const v = await evaluateSplit(engine, data, data.validation, train);
  const t = await evaluateSplit(engine, data, trainHead, train);
  peak = Math.max(peak, v.auc ?? -1);
  const improved = (v.auc ?? -1) > best.auc;
  if (improved) best = { auc: v.auc ?? -1, epoch: epoch + 1, state: engine.getState() };
  bad = improved ? 0 : bad + 1;
  console.log(`ep ${String(epoch + 1).padStart(5)} loss ${(lossSum / rows).toFixed(4)} train AUC ${f4(t.auc)} LL ${f4(t.logloss)} | val ${f4(v.auc)} LL ${f4(v.logloss)} | ${perScenario(v)}${improved ? ' *' : ''}`);
  if (values.inspect) await inspect(engine, data, compiled, epoch + 1);
}
engine.setState(best.state);
const v = await evaluateSplit(engine, data, data.validation, train);
const t = await evaluateSplit(engine, data, data.test, train);
console.log(`RESULT ${model} ${JSON.stringify(overrides)} seed ${seed}: best epoch ${best.epoch}, peak validation AUC ${f4(peak)}; ` +
  `validation ${f4(v.auc)} [${perScenario(v)}]; test ${f4(t.auc)} [${perScenario(t)}]`);
await engine.dispose();

async function inspect(model: EngineModel, dataset: PreparedDataset, graph: CompiledModel, epoch: number): Promise<void> {
  const batch = batchIterator(dataset.validation, { batchSize: 4096, shuffle: false, fields: dataset.fields }).next().value!;
  const grads = await model.gradients(toEngineBatch(batch));
  const modules = new Map<string, number>();
  for (const p of graph.params) {
    const key = p.name.split('.').slice(0, 2).join('.');
    let sq = 0;
    for (let i = p.offset; i < p.offset + p.size; i++) sq += grads.theta[i] ** 2;
    modules.set(key, (modules.get(key) ?? 0) + sq);
  }
  const embedded = dataset.fields.filter((f) => f.kind !== 'numeric');
  const width = embedded.reduce((s, f) => s + f.embeddingDim, 0);
  // dL/dE_b = (p_b − y_b) / B · dlogit_b/dE_b for the BCE part (auxiliary losses are small by their weights).
  const sensitivity: string[] = [];
  let offset = 0;
  for (const f of embedded) {
    let sum = 0;
    let n = 0;
    for (let b = 0; b < batch.size; b++) {
      const residual = grads.outputs.probability[b] - batch.labelFloat[b];
      if (Math.abs(residual) < 0.05) continue;
      let sq = 0;
      for (let d = 0; d < f.embeddingDim; d++) sq += ((grads.embeddings[b * width + offset + d] * batch.size) / residual) ** 2;
      sum += Math.sqrt(sq);
      n++;
    }
    sensitivity.push(`${f.name} ${(sum / Math.max(1, n)).toFixed(2)}`);
    offset += f.embeddingDim;
  }
  console.log(`  [${epoch}] grad ${[...modules].map(([k, sq]) => `${k} ${Math.sqrt(sq).toExponential(1)}`).join(', ')}`);
  console.log(`  [${epoch}] dlogit/de ${sensitivity.join(', ')}`);
  console.log(`  [${epoch}] row norms ${['user_id', 'item_id'].filter((n) => trainCounts.has(n)).map((n) => rowNorms(model, embedded.find((f) => f.name === n)!)).join(' | ')}`);
  const ssh = generatedCores(model, dataset, graph);
  if (ssh) console.log(`  [${epoch}] ssh ${ssh}`);
}

/** Mean L2 norm of the embedding rows by the id's training count. */
function rowNorms(model: EngineModel, field: FieldInfo): string {
  const table = model.store.table(field.name).data;
  const counts = trainCounts.get(field.name)!;
  const buckets: [string, number, number][] = [['1-2', 1, 2], ['3-10', 3, 10], ['11-100', 11, 100], ['>100', 101, Infinity]];
  return `${field.name} ` + buckets.map(([label, lo, hi]) => {
    let sum = 0;
    let n = 0;
    for (let id = 2; id < field.vocabSize; id++) {
      if (counts[id] < lo || counts[id] > hi) continue;
      let sq = 0;
      for (let d = 0; d < field.embeddingDim; d++) sq += table[id * field.embeddingDim + d] ** 2;
      sum += Math.sqrt(sq);
      n++;
    }
    return `${label}: ${n ? (sum / n).toFixed(3) : '-'} (${n} ids)`;
  }).join(', ');
}

/** OptMSM's generated cores per scenario, from θ and the tables, on the first 4000 validation rows. */
function generatedCores(model: EngineModel, dataset: PreparedDataset, graph: CompiledModel): string | null {
  const weights = (name: string) => {
    const p = graph.params.find((x) => x.name === name);
    return p ? { v: model.theta.subarray(p.offset, p.offset + p.size), shape: p.shape } : null;
  };
  const [wSp, bSp, wC, bC] = ['specific.0.weight', 'specific.0.bias', 'tower.hyper_input.0.weight', 'tower.hyper_input.0.bias'].map(weights);
  if (!wSp || !bSp || !wC || !bC) return null;
  const code = weights('specific.scenario_code');
  const gate = [weights('gate.weight'), weights('gate.bias')] as const;
  const layers = graph.params.filter((p) => p.name.endsWith('.core_generator')).map((p) => {
    const layer = p.name.slice(0, -'.core_generator'.length);
    return { layer, p: weights(p.name)!, p0: weights(`${layer}.core`)! };
  });
  if (layers.length === 0) return null;
  const specificFields = dataset.fields.filter((f) => f.kind !== 'numeric' && (f.scope === 'specific' || f.name === dataset.scenarios.column));
  const relu = (x: number) => Math.max(0, x);
  const affine = (x: ArrayLike<number>, w: { v: Float32Array; shape: number[] }, b: { v: Float32Array } | null, out: number) =>
    Float64Array.from({ length: out }, (_, j) => {
      let a = b ? b.v[j] : 0;
      for (let i = 0; i < x.length; i++) a += x[i] * w.v[i * out + j];
      return a;
    });
  const S = dataset.scenarios.values.length;
  const sums = layers.map((l) => Array.from({ length: S }, () => new Float64Array(l.p0.v.length)));
  const K = gate[0]?.shape[1] ?? 0;
  const gates = Array.from({ length: S }, () => new Float64Array(K));
  const counts = new Int32Array(S);
  const rows = Math.min(4000, dataset.validation.rows);
  for (let r = 0; r < rows; r++) {
    const s = dataset.validation.scenario[r];
    const eSp: number[] = [];
    for (const f of specificFields) {
      const table = model.store.table(f.name).data;
      const id = dataset.validation.ids[f.name][r];
      for (let d = 0; d < f.embeddingDim; d++) eSp.push(table[id * f.embeddingDim + d]);
    }
    if (code) for (let d = 0; d < code.shape[1]; d++) eSp.push(code.v[s * code.shape[1] + d]);
    const hSp = affine(eSp, wSp, bSp, wSp.shape[1]).map(relu);
    const c = affine(hSp, wC, bC, wC.shape[1]).map(relu);
    layers.forEach((l, i) => affine(c, l.p, l.p0, l.p0.v.length).forEach((x, j) => { sums[i][s][j] += x; }));
    if (gate[0] && gate[1]) {
      const logits = affine(hSp, gate[0], gate[1], K);
      const max = Math.max(...logits);
      const exp = logits.map((x) => Math.exp(x - max));
      const total = exp.reduce((a, x) => a + x, 0);
      exp.forEach((x, k) => { gates[s][k] += x / total; });
    }
    counts[s]++;
  }
  const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0));
  const parts = layers.map((l, i) => {
    const mean = sums[i].map((v, s) => v.map((x) => x / Math.max(1, counts[s])));
    let spread = 0;
    let pairs = 0;
    for (let s = 0; s < S; s++) for (let t = s + 1; t < S; t++) { spread += norm(mean[s].map((x, j) => x - mean[t][j])); pairs++; }
    return `${l.layer} ‖G_s‖ ${mean.map((v) => norm(v).toFixed(3)).join(' ')}, between scenarios ${(spread / Math.max(1, pairs)).toFixed(3)}`;
  });
  if (K > 0) parts.push(`gate ${gates.map((g, s) => Array.from(g, (x) => (x / Math.max(1, counts[s])).toFixed(2)).join('/')).join(' ')}`);
  return parts.join(' | ');
}
