// Parameterised synthetic worlds (docs/data.md, "Synthetic worlds"): one generative model whose structure is set by
// a validated spec (number and sizes of scenarios, how much of the click logit is scenario-specific, a taste whose
// sign flips between scenarios, scenario-only context fields, position bias, heavy-tailed ids, base CTRs, numeric
// features). Every row keeps its true click probability, and the sidecar the exact oracle AUC overall and per
// scenario. Deterministic for the spec (seed included): a world is a fixed, reproducible benchmark.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, relative, resolve } from 'node:path';
import { Document, isScalar, visit } from 'yaml';
import { OptmsmError } from '../errors.js';
import { mulberry32 } from './batches.js';
import { parseDatasetConfig, readConfigFile } from './schema.js';
import { parseWorldSpec, worldColumns, worldFeatures, type WorldSpec, type WorldSpecInput } from './world-spec.js';
import {
  AucCounter, gaussian, interceptFor, marginal, PROB_BINS, probabilityBin, sampleCdf, shuffled, weightsCdf,
  writeGeneratedRows, zipfCdf,
} from './synthetic-kit.js';

const AGE_GROUPS = 6;
const GENDERS = 2;
const CITIES = 60;
const CATEGORIES = 24;
const BRANDS_PER_CATEGORY = 12;
const PRICE_LEVELS = 5;
const HOURS = 24;
const CALIBRATION_ROWS = 4000; // per scenario

const std = (xs: Float64Array): number => {
  let m = 0;
  for (const x of xs) m += x;
  m /= xs.length;
  let v = 0;
  for (const x of xs) v += (x - m) ** 2;
  return Math.sqrt(v / xs.length);
};

/** The world: ids with attributes and latent tastes, shared effects, each scenario's own effects; no rows yet. */
function buildWorld(spec: WorldSpec) {
  const rand = mulberry32((Math.imul(spec.seed, 2654435761) + 11) >>> 0);
  const normal = gaussian(rand);
  const S = spec.scenarios;
  const d = spec.latentDim;
  const U = spec.users.count;
  const I = spec.items.count;
  const latentStd = Math.pow(d, -0.25); // p·q then has unit variance
  // A latent value mixes the id's attribute group (shared by every id of the group) with the id's own part:
  // id_share = 1 leaves the attributes no say, so an id seen rarely in training is unknowable.
  const mix = (share: number, group: number, own: number) => Math.sqrt(1 - share) * group + Math.sqrt(share) * own;
  const cityCdf = zipfCdf(CITIES, 0.8);
  const userAge = Int32Array.from({ length: U }, () => Math.floor(rand() * AGE_GROUPS));
  const userGender = Int32Array.from({ length: U }, () => (rand() < 0.52 ? 0 : 1));
  const userCity = Int32Array.from({ length: U }, () => sampleCdf(cityCdf, rand()));
  const userGroup = (u: number) => userAge[u]! * GENDERS + userGender[u]!;
  const itemCategory = Int32Array.from({ length: I }, () => Math.floor(rand() * CATEGORIES));
  const itemBrand = Int32Array.from({ length: I }, (_, i) => itemCategory[i]! * BRANDS_PER_CATEGORY + Math.floor(rand() * BRANDS_PER_CATEGORY));
  const itemPrice = Int32Array.from({ length: I }, () => Math.floor(rand() * PRICE_LEVELS));
  const groups = AGE_GROUPS * GENDERS;
  const userGroupVec = Float64Array.from({ length: groups * d }, () => normal() * latentStd);
  const itemGroupVec = Float64Array.from({ length: CATEGORIES * d }, () => normal() * latentStd);
  const ru = spec.users.idShare;
  const ri = spec.items.idShare;
  const userVec = Float64Array.from({ length: U * d }, (_, k) => mix(ru, userGroupVec[userGroup(Math.floor(k / d)) * d + (k % d)]!, normal() * latentStd));
  const itemVec = Float64Array.from({ length: I * d }, (_, k) => mix(ri, itemGroupVec[itemCategory[Math.floor(k / d)]! * d + (k % d)]!, normal() * latentStd));
  const userGroupBias = Float64Array.from({ length: groups }, () => normal());
  const itemGroupBias = Float64Array.from({ length: CATEGORIES }, () => normal());
  const userBias = Float64Array.from({ length: U }, (_, u) => 0.25 * mix(ru, userGroupBias[userGroup(u)]!, normal()));
  const itemBias = Float64Array.from({ length: I }, (_, i) => 0.3 * mix(ri, itemGroupBias[itemCategory[i]!]!, normal()));
  // The flipping taste: a user trait times an item trait, whose sign is negative in the flipped scenarios.
  const userTraitGroup = Float64Array.from({ length: groups }, () => normal());
  const itemTraitGroup = Float64Array.from({ length: CATEGORIES }, () => normal());
  const userTrait = Float64Array.from({ length: U }, (_, u) => mix(ru, userTraitGroup[userGroup(u)]!, normal()));
  const itemTrait = Float64Array.from({ length: I }, (_, i) => mix(ri, itemTraitGroup[itemCategory[i]!]!, normal()));
  const userRank = shuffled(U, rand); // popularity rank -> id
  const itemRank = shuffled(I, rand);
  // Shared effects.
  const ageCat = Float64Array.from({ length: AGE_GROUPS * CATEGORIES }, () => normal() * 0.35);
  const genderCat = Float64Array.from({ length: GENDERS * CATEGORIES }, () => normal() * 0.25);
  const hourEffect = Float64Array.from({ length: HOURS }, (_, h) => 0.15 * Math.sin((2 * Math.PI * (h - 14)) / 24));
  const J = spec.numeric.count;
  const slopes = Float64Array.from({ length: J }, () => normal());
  const slopeNorm = Math.hypot(...slopes) || 1;
  const numericSlope = slopes.map((a) => (a / slopeNorm) * spec.numeric.strength); // Σ a² = strength²
  // Scenario effects: re-weighted latent taste, own category / age / price effects, own numeric slopes.
  const tasteW = Float64Array.from({ length: S * d }, () => normal());
  const scnCat = Float64Array.from({ length: S * CATEGORIES }, () => normal() * 0.6);
  const scnAge = Float64Array.from({ length: S * AGE_GROUPS }, () => normal() * 0.4);
  const scnPrice = Float64Array.from({ length: S }, () => normal() * 0.25);
  const scnNumeric = Float64Array.from({ length: S * J }, () => normal() * 0.5);
  const ctrOrder = shuffled(S, rand);
  const baseCtr = spec.baseCtr ?? Array.from({ length: S }, (_, s) => 0.03 + (0.12 * ctrOrder[s]!) / Math.max(1, S - 1));
  const sizes = spec.sizes ?? Array.from({ length: S }, (_, s) => Math.pow(0.6, s));
  const [minSlots, maxSlots] = spec.position.slots;
  const slots = Int32Array.from({ length: S }, () => minSlots + Math.floor(rand() * (maxSlots - minSlots + 1)));
  // Position s: −γ_s (slot − 1) with γ_s set so that its std over the uniform slots is position.strength.
  const positionDecay = Float64Array.from(slots, (n) => spec.position.strength / Math.sqrt((n * n - 1) / 12));
  // Context field f in scenario s: a table over its values, centred and scaled to std = strength (values are
  // uniform); scenarios outside the field's list see "none" and no effect.
  const context = spec.context.map((c) => {
    const where = new Set(c.scenarios ?? Array.from({ length: S }, (_, s) => s));
    const table = new Float64Array(S * c.values);
    for (let s = 0; s < S; s++) {
      const raw = Float64Array.from({ length: c.values }, () => normal());
      if (!where.has(s)) continue;
      const m = raw.reduce((a, b) => a + b, 0) / c.values;
      const sd = std(raw) || 1;
      for (let v = 0; v < c.values; v++) table[s * c.values + v] = ((raw[v]! - m) / sd) * c.strength;
    }
    return { name: c.name, values: c.values, where, table };
  });
  const flipSign = Float64Array.from({ length: S }, (_, s) => (spec.tasteFlip.scenarios.includes(s) ? -1 : 1));
  return {
    spec, S, d, J, userVec, itemVec, userBias, itemBias, userTrait, itemTrait, userAge, userGender, userCity, itemCategory,
    itemBrand, itemPrice, userRank, itemRank, ageCat, genderCat, hourEffect, numericSlope, tasteW, scnCat, scnAge,
    scnPrice, scnNumeric, baseCtr, sizes, slots, positionDecay, context, flipSign,
    scenarioCdf: weightsCdf(sizes), userCdf: zipfCdf(U, spec.users.zipf), itemCdf: zipfCdf(I, spec.items.zipf),
    // Set by calibrate(): the scale of each part and each scenario's intercept.
    sharedScale: 1, specificScale: new Float64Array(S), flipScale: 0, logitScale: 1, intercept: new Float64Array(S),
  };
}
type World = ReturnType<typeof buildWorld>;

/** One impression's observed values (ids, context, numeric) before its logit. */
interface Impression {
  s: number;
  u: number;
  i: number;
  hour: number;
  slot: number;
  /** Per context field, the value index, or -1 for "none". */
  context: Int32Array;
  /** Per numeric feature, the log of the written value (what the logit uses). */
  x: Float64Array;
  /** The written numeric values. */
  written: string[];
}

function drawImpression(w: World, rand: () => number, normal: () => number, into: Impression, s = sampleCdf(w.scenarioCdf, rand())): Impression {
  into.s = s;
  into.u = w.userRank[sampleCdf(w.userCdf, rand())]!;
  into.i = w.itemRank[sampleCdf(w.itemCdf, rand())]!;
  into.hour = Math.floor(rand() * HOURS);
  into.slot = 1 + Math.floor(rand() * w.slots[s]!);
  for (let f = 0; f < w.context.length; f++) {
    const c = w.context[f]!;
    into.context[f] = c.where.has(s) ? Math.floor(rand() * c.values) : -1;
  }
  for (let j = 0; j < w.J; j++) {
    // A positive, heavy-tailed value (log-normal) as written with 4 decimals; the logit uses its exact log.
    const text = Math.exp(normal()).toFixed(4);
    into.written[j] = text;
    into.x[j] = Math.log(Math.max(Number(text), 1e-4));
  }
  return into;
}

const newImpression = (w: World): Impression => ({
  s: 0, u: 0, i: 0, hour: 0, slot: 1, context: new Int32Array(w.context.length), x: new Float64Array(w.J), written: new Array<string>(w.J),
});

/** The parts of an impression's logit before scaling: shared, scenario-specific, flipping taste, position + context. */
interface Parts {
  shared: number;
  specific: number;
  flip: number;
  placement: number;
}

function rawParts(w: World, m: Impression, out: Parts): Parts {
  const { d, s, u, i } = { d: w.d, s: m.s, u: m.u, i: m.i };
  const cat = w.itemCategory[i]!;
  const age = w.userAge[u]!;
  let affinity = 0;
  let reweighted = 0;
  for (let k = 0; k < d; k++) {
    const x = w.userVec[u * d + k]! * w.itemVec[i * d + k]!;
    affinity += x;
    reweighted += w.tasteW[s * d + k]! * x;
  }
  let numericShared = 0;
  let numericSpecific = 0;
  for (let j = 0; j < w.J; j++) {
    numericShared += w.numericSlope[j]! * m.x[j]!;
    numericSpecific += w.scnNumeric[s * w.J + j]! * m.x[j]!;
  }
  out.shared = w.userBias[u]! + w.itemBias[i]! + affinity + w.ageCat[age * CATEGORIES + cat]!
    + w.genderCat[w.userGender[u]! * CATEGORIES + cat]! + w.hourEffect[m.hour]! + numericShared;
  out.specific = reweighted + w.scnCat[s * CATEGORIES + cat]! + w.scnAge[s * AGE_GROUPS + age]!
    + w.scnPrice[s]! * (w.itemPrice[i]! - 2) + numericSpecific;
  out.flip = w.userTrait[u]! * w.itemTrait[i]!;
  let placement = -w.positionDecay[s]! * (m.slot - 1);
  for (let f = 0; f < w.context.length; f++) {
    const v = m.context[f]!;
    if (v >= 0) placement += w.context[f]!.table[s * w.context[f]!.values + v]!;
  }
  out.placement = placement;
  return out;
}

/** The logit before the scenario intercept: every part at its calibrated scale. */
function scaledLogit(w: World, s: number, p: Parts): number {
  const shared = w.sharedScale * p.shared;
  return w.logitScale * (shared + w.specificScale[s]! * p.specific + w.flipSign[s]! * w.flipScale * p.flip + p.placement);
}

// Calibration on a sample drawn from its own stream, CALIBRATION_ROWS per scenario: the shared part is scaled to
// unit std (one scale for every scenario, so "specific: 0" leaves every scenario the same function); each
// scenario's specific part to `specific[s]` and the flipping taste to its strength in those units; one scale for
// the whole logit sets its spread to logit_std; each scenario's intercept sets its mean click probability.
function calibrate(w: World): void {
  const rand = mulberry32((Math.imul(w.spec.seed, 2654435761) + 13) >>> 0);
  const normal = gaussian(rand);
  const n = CALIBRATION_ROWS;
  const parts = Array.from({ length: w.S }, () => ({
    shared: new Float64Array(n), specific: new Float64Array(n), flip: new Float64Array(n), placement: new Float64Array(n),
  }));
  const m = newImpression(w);
  const p: Parts = { shared: 0, specific: 0, flip: 0, placement: 0 };
  for (let s = 0; s < w.S; s++) {
    for (let r = 0; r < n; r++) {
      rawParts(w, drawImpression(w, rand, normal, m, s), p);
      parts[s]!.shared[r] = p.shared;
      parts[s]!.specific[r] = p.specific;
      parts[s]!.flip[r] = p.flip;
      parts[s]!.placement[r] = p.placement;
    }
  }
  const pooled = (key: 'shared' | 'flip') => {
    const all = new Float64Array(w.S * n);
    parts.forEach((q, s) => all.set(q[key], s * n));
    return std(all) || 1;
  };
  w.sharedScale = 1 / pooled('shared');
  w.flipScale = w.spec.tasteFlip.strength / pooled('flip');
  for (let s = 0; s < w.S; s++) w.specificScale[s] = w.spec.specific[s]! / (std(parts[s]!.specific) || 1);
  w.logitScale = 1;
  const logits = parts.map((q, s) => Float64Array.from({ length: n }, (_, r) => scaledLogit(w, s, {
    shared: q.shared[r]!, specific: q.specific[r]!, flip: q.flip[r]!, placement: q.placement[r]!,
  })));
  const all = new Float64Array(w.S * n);
  logits.forEach((l, s) => all.set(l, s * n));
  w.logitScale = w.spec.logitStd / (std(all) || 1);
  for (let s = 0; s < w.S; s++) w.intercept[s] = interceptFor(logits[s]!.map((x) => w.logitScale * x), w.baseCtr[s]!, w.spec.noise);
}

export interface WorldScenarioSummary {
  scenario: string;
  rows: number;
  positives: number;
  ctr: number;
  /** Exact AUC of true_prob (as written, 5 decimals) against the sampled clicks; null with one class. */
  oracleAuc: number | null;
  /** The same with only the shared part of the logit (intercept kept): what ignoring the scenario costs. */
  sharedOnlyAuc: number | null;
}

export interface IdTail {
  /** Distinct ids that occur in the file (of `count`). */
  distinct: number;
  /** Share of rows whose id occurs at most 5 times in the whole file. */
  rareRowShare: number;
  /** Share of ids that occur once. */
  singletonShare: number;
}

export interface WorldResult {
  file: string;
  rows: number;
  scenarios: WorldScenarioSummary[];
  overallOracleAuc: number | null;
  users: IdTail;
  items: IdTail;
  sidecar: string;
  seconds: number;
}

export const WORLD_GENERATOR = 'optmsm world v1';

function idTail(counts: Uint32Array): IdTail {
  let distinct = 0;
  let singletons = 0;
  let rareRows = 0;
  let rows = 0;
  for (const c of counts) {
    if (c === 0) continue;
    distinct++;
    rows += c;
    if (c === 1) singletons++;
    if (c <= 5) rareRows += c;
  }
  return { distinct, rareRowShare: rows ? rareRows / rows : 0, singletonShare: distinct ? singletons / distinct : 0 };
}

/** Writes a world's rows to `output` (.csv or .parquet) and its oracle sidecar `<output>.oracle.json`. */
export async function generateWorld(spec: WorldSpec, output: string, onProgress?: (rows: number) => void): Promise<WorldResult> {
  const t0 = performance.now();
  const file = resolve(output);
  const w = buildWorld(spec);
  calibrate(w);
  const rand = mulberry32((Math.imul(spec.seed, 2654435761) + 12) >>> 0);
  const normal = gaussian(rand);
  const S = w.S;
  const oracle = Array.from({ length: S }, () => new AucCounter());
  const sharedOnly = Array.from({ length: S }, () => new AucCounter());
  const overall = new AucCounter();
  const counts = new Float64Array(S);
  const clicks = new Float64Array(S);
  const userRows = new Uint32Array(spec.users.count);
  const itemRows = new Uint32Array(spec.items.count);
  const m = newImpression(w);
  const p: Parts = { shared: 0, specific: 0, flip: 0, placement: 0 };
  const line = (r: number): string => {
    drawImpression(w, rand, normal, m);
    rawParts(w, m, p);
    const { s, u, i } = m;
    const bin = probabilityBin(marginal(w.intercept[s]! + scaledLogit(w, s, p), spec.noise));
    const sharedBin = probabilityBin(marginal(w.intercept[s]! + w.logitScale * w.sharedScale * p.shared, spec.noise));
    const y = rand() < bin / PROB_BINS ? 1 : 0;
    oracle[s]!.add(bin, y);
    overall.add(bin, y);
    sharedOnly[s]!.add(sharedBin, y);
    counts[s]!++;
    clicks[s]! += y;
    userRows[u]!++;
    itemRows[i]!++;
    const context = w.context.map((c, f) => (m.context[f]! < 0 ? 'none' : `${c.name}${m.context[f]}`));
    return [
      `u${u}`, `i${i}`, `a${w.userAge[u]}`, w.userGender[u] ? 'F' : 'M', `c${w.userCity[u]}`, `k${w.itemCategory[i]}`, `b${w.itemBrand[i]}`,
      w.itemPrice[i], m.hour, m.slot, ...context, ...m.written, `s${s}`, r, y, (bin / PROB_BINS).toFixed(5),
    ].join(',');
  };
  const types: Record<string, 'INTEGER' | 'BIGINT' | 'DOUBLE'> = {
    price_level: 'INTEGER', hour: 'INTEGER', position: 'INTEGER', ts: 'BIGINT', click: 'INTEGER', true_prob: 'DOUBLE',
  };
  for (let j = 0; j < w.J; j++) types[`num_${j}`] = 'DOUBLE';
  const format = file.endsWith('.parquet') ? 'parquet' : 'csv';
  await writeGeneratedRows({ file, format, header: worldColumns(spec), types }, spec.rows, line, onProgress);

  const scenarios: WorldScenarioSummary[] = Array.from({ length: S }, (_, s) => ({
    scenario: `s${s}`, rows: counts[s]!, positives: clicks[s]!, ctr: counts[s]! ? clicks[s]! / counts[s]! : 0,
    oracleAuc: oracle[s]!.auc(), sharedOnlyAuc: sharedOnly[s]!.auc(),
  }));
  const result: WorldResult = {
    file, rows: spec.rows, scenarios, overallOracleAuc: overall.auc(), users: idTail(userRows), items: idTail(itemRows),
    sidecar: `${file}.oracle.json`, seconds: (performance.now() - t0) / 1000,
  };
  writeFileSync(result.sidecar, `${JSON.stringify({
    generator: WORLD_GENERATOR, spec,
    world: {
      sizes: w.sizes, baseCtr: w.baseCtr, slots: Array.from(w.slots), positionDecay: Array.from(w.positionDecay),
      sharedScale: w.sharedScale, specificScale: Array.from(w.specificScale), flipScale: w.flipScale, logitScale: w.logitScale,
      intercept: Array.from(w.intercept),
    },
    scenarios, overallOracleAuc: result.overallOracleAuc, users: result.users, items: result.items,
  }, null, 1)}\n`);
  return result;
}

/** Whether `file` exists and its sidecar records exactly this spec (so regenerating would give the same bytes). */
export function worldIsCurrent(file: string, spec: WorldSpec): boolean {
  const sidecar = `${file}.oracle.json`;
  if (!existsSync(file) || !existsSync(sidecar)) return false;
  try {
    const written = JSON.parse(readFileSync(sidecar, 'utf8')) as { generator?: string; spec?: unknown };
    return written.generator === WORLD_GENERATOR && JSON.stringify(written.spec) === JSON.stringify(spec);
  } catch {
    return false;
  }
}

export interface LoadedWorld {
  /** The spec as written (what a generated dataset config repeats). */
  input: WorldSpecInput;
  spec: WorldSpec;
  /** The data file, when the spec came from a dataset config. */
  dataFile: string | null;
}

/** A world spec file (YAML/JSON), or a dataset config whose `synthetic: {world}` block holds one. */
export function loadWorldSpec(file: string): LoadedWorld {
  const raw = readConfigFile(file);
  if (typeof raw === 'object' && raw !== null && 'synthetic' in raw) {
    const config = parseDatasetConfig(raw, file, dirname(resolve(file)));
    if (!config.world || !Array.isArray(config.files)) {
      throw new OptmsmError('E_CONFIG_INVALID', `${file}: the dataset config has no synthetic.world block`, {
        location: `${file}: synthetic`, expected: 'synthetic: { world: {...} } (docs/data.md, "Synthetic worlds")',
      });
    }
    return { input: (raw as { synthetic: { world: WorldSpecInput } }).synthetic.world, spec: config.world, dataFile: config.files[0]! };
  }
  return { input: raw as WorldSpecInput, spec: parseWorldSpec(raw, file), dataFile: null };
}

/** Writes a dataset config for a generated world file; its name is the config file's base name. Returns its path. */
export function writeWorldConfig(configFile: string, dataFile: string, world: LoadedWorld): string {
  const file = resolve(configFile);
  mkdirSync(dirname(file), { recursive: true });
  const data = relative(dirname(file), resolve(dataFile)) || basename(dataFile);
  writeFileSync(file, worldConfigYaml(basename(file, extname(file)), data, world.input, world.spec));
  return file;
}

/** A dataset config (YAML text) for a world written to `file` (relative to the config's directory). */
export function worldConfigYaml(name: string, file: string, spec: WorldSpecInput, parsed: WorldSpec): string {
  // Lists and maps of plain values print on one line ({ count: 5000, zipf: 1.1 }, [55, 30, 12, 3]).
  const doc = new Document(spec);
  visit(doc, {
    Map: (_, node) => void (node.flow = node.items.every((pair) => isScalar(pair.value))),
    Seq: (_, node) => void (node.flow = node.items.every(isScalar)),
  });
  const world = doc.toString({ flowCollectionPadding: false }).trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
  const flow = (o: Record<string, unknown>) => `{ ${Object.entries(o).map(([k, v]) => `${k}: ${String(v)}`).join(', ')} }`;
  return `# A synthetic world (docs/data.md, "Synthetic worlds"); the file is regenerated from synthetic.world when missing.
name: ${name}
files: ${file}
synthetic:
  world:
${world}
label: click
scenario: scenario
split: { kind: ratio, ratios: [0.8, 0.1, 0.1], seed: 2024 }
embedding_dim: 16
extra_columns: [true_prob]   # the true click probability: never a feature, used for the oracle AUC
features:
${worldFeatures(parsed).map((f) => `  - ${flow(f)}`).join('\n')}
`;
}
