// The built-in synthetic multi-scenario CTR dataset (docs/data.md, "Synthetic data", describes the model).
// Deterministic for a seed, streamed to CSV (or to Parquet through DuckDB) so 100M rows need no more memory than
// 1M, with the true click probability of every row and the exact oracle AUC per scenario in a JSON sidecar.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { OptmsmError } from '../errors.js';
import { mulberry32 } from './batches.js';
import type { DatasetConfig } from './schema.js';
import {
  AucCounter, gaussian, interceptFor, marginal, PROB_BINS, probabilityBin, sampleCdf, shuffled, writeGeneratedRows, zipfCdf,
} from './synthetic-kit.js';
import { generateWorld, worldIsCurrent, type WorldResult } from './worlds.js';

export interface SyntheticOptions {
  /** Output file (.csv or .parquet, or set `format`). */
  output: string;
  rows: number;
  scenarios?: number;
  users?: number;
  items?: number;
  latentDim?: number;
  seed?: number;
  format?: 'csv' | 'parquet';
  /** Std of the unobserved per-impression logit noise (marginalised into true_prob). */
  noise?: number;
  /** Zipf exponent of item popularity. */
  zipf?: number;
  /** Also write a dataset config (YAML) for the file here. */
  configFile?: string;
  /** Called every ~1M rows. */
  onProgress?: (rowsWritten: number) => void;
}

export interface ScenarioSummary {
  scenario: string;
  rows: number;
  positives: number;
  ctr: number;
  /** AUC of the same probability without the scenario-specific part (scenario intercept kept): how much a model
   *  that ignores per-scenario effects must lose. Diagnostic only. */
  sharedOnlyAuc: number | null;
  /** Exact AUC of true_prob (as written, 5 decimals) against the sampled clicks; null if one class only. */
  oracleAuc: number | null;
}

export interface SyntheticResult {
  file: string;
  rows: number;
  scenarios: ScenarioSummary[];
  oracleAuc: Record<string, number | null>;
  overallOracleAuc: number | null;
  sidecar: string;
  configFile?: string;
  seconds: number;
}

export const DEFAULTS = { scenarios: 4, users: 5000, items: 2000, latentDim: 8, seed: 42, zipf: 1.05, noise: 1.0 };

export const SYNTHETIC_COLUMNS = [
  'user_id', 'item_id', 'age_group', 'gender', 'city', 'category', 'brand', 'price_level', 'slot', 'hour',
  'scenario', 'ts', 'click', 'true_prob',
] as const;

const AGE_GROUPS = 6;
const CITIES = 60;
const CATEGORIES = 24;
const BRANDS_PER_CATEGORY = 12;
const PRICE_LEVELS = 5;
const HOURS = 24;

/** The world: users, items and scenario parameters, drawn from the seed before any row. */
function buildWorld(o: Required<Pick<SyntheticOptions, 'scenarios' | 'users' | 'items' | 'latentDim' | 'seed' | 'zipf' | 'noise'>>) {
  const rand = mulberry32((o.seed * 2654435761 + 1) >>> 0);
  const normal = gaussian(rand);
  const S = o.scenarios;
  const d = o.latentDim;
  const latentStd = Math.pow(d, -0.25); // p·q then has unit variance
  const userVec = Float64Array.from({ length: o.users * d }, () => normal() * latentStd);
  const itemVec = Float64Array.from({ length: o.items * d }, () => normal() * latentStd);
  const userBias = Float64Array.from({ length: o.users }, () => normal() * 0.25);
  const itemBias = Float64Array.from({ length: o.items }, () => normal() * 0.3);
  const cityCdf = zipfCdf(CITIES, 0.8);
  const userAge = Int32Array.from({ length: o.users }, () => Math.floor(rand() * AGE_GROUPS));
  const userGender = Int32Array.from({ length: o.users }, () => (rand() < 0.52 ? 0 : 1));
  const userCity = Int32Array.from({ length: o.users }, () => sampleCdf(cityCdf, rand()));
  const itemCategory = Int32Array.from({ length: o.items }, () => Math.floor(rand() * CATEGORIES));
  const itemBrand = Int32Array.from({ length: o.items }, (_, i) => itemCategory[i]! * BRANDS_PER_CATEGORY + Math.floor(rand() * BRANDS_PER_CATEGORY));
  const itemPrice = Int32Array.from({ length: o.items }, () => Math.floor(rand() * PRICE_LEVELS));
  const itemRank = shuffled(o.items, rand); // popularity rank -> item index
  const userRank = shuffled(o.users, rand);
  // Shared effects.
  const ageCat = Float64Array.from({ length: AGE_GROUPS * CATEGORIES }, () => normal() * 0.35);
  const genderCat = Float64Array.from({ length: 2 * CATEGORIES }, () => normal() * 0.25);
  const hourEffect = Float64Array.from({ length: HOURS }, (_, h) => 0.15 * Math.sin((2 * Math.PI * (h - 14)) / 24));
  // Scenario parts: unequal sizes (geometric), spread base CTRs, re-weighted affinity, own attribute effects,
  // own slot count and position decay.
  const sizeW = Array.from({ length: S }, (_, s) => Math.pow(0.6, s));
  const sizeSum = sizeW.reduce((a, b) => a + b, 0);
  const scnCdf = Float64Array.from(sizeW.map((_, s) => sizeW.slice(0, s + 1).reduce((a, b) => a + b, 0) / sizeSum));
  const ctrOrder = shuffled(S, rand);
  const baseCtr = Array.from({ length: S }, (_, s) => 0.03 + (0.12 * ctrOrder[s]!) / Math.max(1, S - 1));
  const affinityW = Float64Array.from({ length: S * d }, () => 0.4 + normal() * 1.1);
  const scnCat = Float64Array.from({ length: S * CATEGORIES }, () => normal() * 0.6);
  const scnAge = Float64Array.from({ length: S * AGE_GROUPS }, () => normal() * 0.4);
  const scnPrice = Float64Array.from({ length: S }, () => normal() * 0.25);
  const slots = Int32Array.from({ length: S }, () => 2 + Math.floor(rand() * 7));
  const slotDecay = Float64Array.from({ length: S }, () => 0.05 + rand() * 0.35);
  const world = {
    S, d, userVec, itemVec, userBias, itemBias, userAge, userGender, userCity, itemCategory, itemBrand, itemPrice,
    itemRank, userRank, ageCat, genderCat, hourEffect, scnCdf, baseCtr, affinityW, scnCat, scnAge, scnPrice, slots, slotDecay,
    itemCdf: zipfCdf(o.items, o.zipf), userCdf: zipfCdf(o.users, 0.6),
    scale: new Float64Array(S), intercept: new Float64Array(S),
  };
  calibrate(world, o.noise, mulberry32((o.seed * 2654435761 + 3) >>> 0));
  return world;
}
type World = ReturnType<typeof buildWorld>;

/** The logit of one impression before the scenario's scale and intercept: shared part + scenario-specific part. */
function rawLogit(w: World, s: number, u: number, i: number, slot: number, hour: number, parts?: { shared: number }): number {
  const d = w.d;
  const cat = w.itemCategory[i]!;
  const age = w.userAge[u]!;
  let affinity = 0;
  let reweighted = 0;
  for (let k = 0; k < d; k++) {
    const x = w.userVec[u * d + k]! * w.itemVec[i * d + k]!;
    affinity += x;
    reweighted += w.affinityW[s * d + k]! * x;
  }
  const shared = w.userBias[u]! + w.itemBias[i]! + 0.5 * affinity + w.ageCat[age * CATEGORIES + cat]!
    + w.genderCat[w.userGender[u]! * CATEGORIES + cat]! + w.hourEffect[hour]!;
  const specific = reweighted + w.scnCat[s * CATEGORIES + cat]! + w.scnAge[s * AGE_GROUPS + age]!
    + w.scnPrice[s]! * (w.itemPrice[i]! - 2) - w.slotDecay[s]! * (slot - 1);
  if (parts) parts.shared = shared;
  return shared + specific;
}

// Every scenario's logit is scaled to the same spread, and its intercept set so that the mean click probability
// equals its base CTR (estimated on a calibration sample drawn from a separate stream). Without this, the oracle
// AUC would swing with the random world (0.74-0.9 across seeds); with it, it stays near 0.8 for every seed.
const TARGET_LOGIT_STD = 1.45;
const CALIBRATION_ROWS = 4000;
function calibrate(w: World, noise: number, rand: () => number): void {
  for (let s = 0; s < w.S; s++) {
    const xs = new Float64Array(CALIBRATION_ROWS);
    for (let r = 0; r < CALIBRATION_ROWS; r++) {
      const u = w.userRank[sampleCdf(w.userCdf, rand())]!;
      const i = w.itemRank[sampleCdf(w.itemCdf, rand())]!;
      xs[r] = rawLogit(w, s, u, i, 1 + Math.floor(rand() * w.slots[s]!), Math.floor(rand() * HOURS));
    }
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) || 1;
    w.scale[s] = TARGET_LOGIT_STD / std;
    w.intercept[s] = interceptFor(xs.map((x) => w.scale[s]! * x), w.baseCtr[s]!, noise);
  }
}

/** Writes the synthetic dataset and its oracle sidecar; see docs/data.md for the generative model. */
export async function generateSynthetic(options: SyntheticOptions): Promise<SyntheticResult> {
  const t0 = performance.now();
  const o: typeof DEFAULTS = {
    scenarios: options.scenarios ?? DEFAULTS.scenarios, users: options.users ?? DEFAULTS.users, items: options.items ?? DEFAULTS.items,
    latentDim: options.latentDim ?? DEFAULTS.latentDim, seed: options.seed ?? DEFAULTS.seed, zipf: options.zipf ?? DEFAULTS.zipf,
    noise: options.noise ?? DEFAULTS.noise,
  };
  const file = resolve(options.output);
  const format = options.format ?? (file.endsWith('.parquet') ? 'parquet' : 'csv');
  for (const [k, v] of Object.entries({ rows: options.rows, ...o })) {
    if (!(Number.isFinite(v) && v >= 0) || (k !== 'zipf' && k !== 'noise' && !Number.isInteger(v)) || (k !== 'noise' && k !== 'seed' && v === 0)) {
      throw new OptmsmError('E_CONFIG_INVALID', `synthetic option ${k} must be a positive ${k === 'zipf' || k === 'noise' ? 'number' : 'integer'}`, {
        location: k, found: String(v),
      });
    }
  }
  if (o.scenarios > 64) throw new OptmsmError('E_CONFIG_INVALID', 'synthetic option scenarios must be at most 64', { location: 'scenarios', found: String(o.scenarios) });
  const w = buildWorld(o);
  const rand = mulberry32((o.seed * 2654435761 + 2) >>> 0);
  const S = w.S;
  const oracle = Array.from({ length: S }, () => new AucCounter());
  const sharedOnly = Array.from({ length: S }, () => new AucCounter());
  const overall = new AucCounter();
  const parts = { shared: 0 };
  const counts = new Float64Array(S);
  const clicks = new Float64Array(S);
  const line = (r: number): string => {
    const s = sampleCdf(w.scnCdf, rand());
    const u = w.userRank[sampleCdf(w.userCdf, rand())]!;
    const i = w.itemRank[sampleCdf(w.itemCdf, rand())]!;
    const slot = 1 + Math.floor(rand() * w.slots[s]!);
    const hour = Math.floor(rand() * HOURS);
    const z = w.intercept[s]! + w.scale[s]! * rawLogit(w, s, u, i, slot, hour, parts);
    const sharedBin = probabilityBin(marginal(w.intercept[s]! + w.scale[s]! * parts.shared, o.noise));
    const bin = probabilityBin(marginal(z, o.noise));
    const y = rand() < bin / PROB_BINS ? 1 : 0;
    oracle[s]!.add(bin, y);
    overall.add(bin, y);
    sharedOnly[s]!.add(sharedBin, y);
    counts[s]!++;
    clicks[s]! += y;
    return `u${u},i${i},a${w.userAge[u]},${w.userGender[u] ? 'F' : 'M'},c${w.userCity[u]},k${w.itemCategory[i]},b${w.itemBrand[i]},${w.itemPrice[i]},${slot},${hour},s${s},${r},${y},${(bin / PROB_BINS).toFixed(5)}`;
  };
  await writeGeneratedRows({
    file, format, header: SYNTHETIC_COLUMNS,
    types: { price_level: 'INTEGER', slot: 'INTEGER', hour: 'INTEGER', ts: 'BIGINT', click: 'INTEGER', true_prob: 'DOUBLE' },
  }, options.rows, line, options.onProgress);

  const scenarios: ScenarioSummary[] = Array.from({ length: S }, (_, s) => ({
    scenario: `s${s}`, rows: counts[s]!, positives: clicks[s]!, ctr: counts[s]! > 0 ? clicks[s]! / counts[s]! : 0, oracleAuc: oracle[s]!.auc(),
    sharedOnlyAuc: sharedOnly[s]!.auc(),
  }));
  const result: SyntheticResult = {
    file, rows: options.rows, scenarios, oracleAuc: Object.fromEntries(scenarios.map((s) => [s.scenario, s.oracleAuc])),
    overallOracleAuc: overall.auc(), sidecar: `${file}.oracle.json`, seconds: (performance.now() - t0) / 1000,
  };
  writeFileSync(result.sidecar, `${JSON.stringify({
    generator: 'optmsm synthetic v1', options: { rows: options.rows, ...o, format },
    world: { baseCtr: w.baseCtr, slots: Array.from(w.slots), slotDecay: Array.from(w.slotDecay), scale: Array.from(w.scale), intercept: Array.from(w.intercept) },
    scenarios, overallOracleAuc: result.overallOracleAuc,
  }, null, 1)}\n`);
  if (options.configFile) {
    result.configFile = resolve(options.configFile);
    writeSyntheticConfig(result.configFile, file, options, o);
  }
  return result;
}

/** A dataset config for a generated file (features as in configs/datasets/synthetic.yaml). */
function writeSyntheticConfig(configFile: string, dataFile: string, options: SyntheticOptions, o: typeof DEFAULTS): void {
  mkdirSync(dirname(configFile), { recursive: true });
  const rel = relative(dirname(configFile), dataFile) || basename(dataFile);
  const synth = {
    rows: options.rows, scenarios: o.scenarios, users: o.users, items: o.items, latent_dim: o.latentDim, seed: o.seed, noise: o.noise, zipf: o.zipf,
  };
  writeFileSync(configFile, syntheticConfigYaml(rel, synth));
}

/**
 * Generates a config's data file with a built-in generator when the config has a `synthetic:` block and the file is
 * missing or was made with other options (what `npm start` and the suite rely on). Returns the generator's result,
 * or null when nothing was needed.
 */
export async function ensureSyntheticData(config: DatasetConfig, log: (m: string) => void = () => {}): Promise<SyntheticResult | WorldResult | null> {
  if (!Array.isArray(config.files)) return null;
  const file = config.files[0]!;
  if (config.world) {
    if (worldIsCurrent(file, config.world)) return null;
    log(`generating the ${config.world.rows}-row world ${config.name} into ${file}`);
    return generateWorld(config.world, file);
  }
  if (!config.synthetic) return null;
  const s = config.synthetic;
  if (existsSync(file) && sameOptions(`${file}.oracle.json`, s)) return null;
  log(`generating ${s.rows} synthetic rows into ${file}${existsSync(file) ? ' (the config\'s generator options changed)' : ''}`);
  return generateSynthetic({
    output: file, rows: s.rows, scenarios: s.scenarios, users: s.users, items: s.items, latentDim: s.latentDim,
    seed: s.seed, noise: s.noise, zipf: s.zipf, format: config.format === 'parquet' ? 'parquet' : undefined,
  });
}

/** Whether the sidecar of an existing file records the same generator options as the config asks for. */
function sameOptions(sidecar: string, wanted: NonNullable<DatasetConfig['synthetic']>): boolean {
  if (!existsSync(sidecar)) return false;
  try {
    const written = (JSON.parse(readFileSync(sidecar, 'utf8')) as { options?: Record<string, unknown> }).options ?? {};
    return Object.entries(wanted).every(([k, v]) => written[k] === v);
  } catch {
    return false;
  }
}

/** The dataset config text for a generated file (what configs/datasets/synthetic.yaml holds). */
export function syntheticConfigYaml(file: string, synth: Record<string, number>): string {
  return `# Synthetic multi-scenario CTR data (docs/data.md, "Synthetic data"). Regenerated from \`synthetic:\` when missing.
name: synthetic
files: ${file}
synthetic: { ${Object.entries(synth).map(([k, v]) => `${k}: ${v}`).join(', ')} }
label: click
scenario: scenario
split: { kind: ratio, ratios: [0.8, 0.1, 0.1], seed: 2024 }
embedding_dim: 16
extra_columns: [true_prob]   # the true click probability: never a feature, used for the oracle AUC
features:
  - { name: user_id, kind: categorical }
  - { name: item_id, kind: categorical }
  - { name: age_group, kind: categorical }
  - { name: gender, kind: categorical }
  - { name: city, kind: categorical }
  - { name: category, kind: categorical }
  - { name: brand, kind: categorical }
  - { name: price_level, kind: numeric, normalize: min-max }
  - { name: hour, kind: categorical }
  - { name: slot, kind: categorical, scope: specific }   # scenario-only context: slot position
`;
}
