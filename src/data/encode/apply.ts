// The encode pass: JavaScript maps every distinct value of a field to its id once, through the fitted encoder
// (the same functions encodeRows uses at prediction time), giving a lookup table from code to id; one ordered
// stream over the code table then applies the tables chunk by chunk and routes each row to its split's sink.
import { codeAlias, extraAlias, idOf, OOV_ID, PAD_ID, SCENARIO_FIELD, SPLIT_CODE, SQL, tokenCodeAlias } from '../contracts.js';
import { codeColumn, type DuckSession, float64Column, uint8Column } from '../duck.js';
import type { ColumnData, ColumnKey, ColumnSink } from '../columns.js';
import { datePart } from '../encoders/date.js';
import type { FeatureEncoder } from '../feature-encoder.js';
import { SPLITS } from '../schema.js';
import type { Source } from '../source.js';
import type { EnumInfo } from './codes.js';
import { asInt32, firstRowOfScenario } from './fit.js';
import { isNumeric } from './plan.js';

/** Lookup tables from code to id for every field (null for numeric fields). */
function lookupTables(encoder: FeatureEncoder, enums: readonly (EnumInfo | null)[]): (Int32Array | null)[] {
  return encoder.state.fields.map((_, i) => {
    const e = enums[encoder.vocabularyOf[i]!];
    if (!e) return null;
    const lut = new Int32Array(e.values.length);
    for (let c = 0; c < e.values.length; c++) lut[c] = encoder.categoricalId(i, e.values[c]!);
    return lut;
  });
}

/**
 * Streams every row of the code table once, in input order, through the encoder: ids via per-field lookup tables,
 * numerics via the encoder's transform; rows go to `sinkFor(split code)` (the train code for every row when there
 * is no split). Returns rows written per split.
 */
export async function encodeCodes(
  session: DuckSession, codes: string, source: Source, encoder: FeatureEncoder, enums: readonly (EnumInfo | null)[], sinkFor: (split: number) => ColumnSink,
): Promise<number[]> {
  const fields = encoder.state.fields;
  const luts = lookupTables(encoder, enums);
  const scenarioEnum = enums[SCENARIO_FIELD]!;
  const scnIndex = new Int32Array(scenarioEnum.values.length);
  for (let c = 0; c < scnIndex.length; c++) {
    const v = scenarioEnum.values[c]!;
    const s = encoder.scenarios.values.indexOf(v);
    // An unseen scenario is an error naming the value and its first row.
    if (s < 0) encoder.scenarioIndex(v, source.locate(await firstRowOfScenario(session, codes, c)));
    scnIndex[c] = s;
  }
  const cols: string[] = [SQL.splitCode, `coalesce(${SQL.labelCode}, 0)::UTINYINT`, codeAlias(SCENARIO_FIELD)];
  const plan: { field: number; first: number; width: number }[] = [];
  fields.forEach((f, i) => {
    if (f.source === 'scenario') return;
    const first = cols.length;
    const tokens = f.source === 'multi' || f.source === 'sequence';
    if (tokens) for (let k = 1; k <= f.maxLen; k++) cols.push(tokenCodeAlias(i, k));
    else cols.push(codeAlias(i));
    plan.push({ field: i, first, width: tokens ? f.maxLen : 1 });
  });
  const extraFirst = cols.length;
  encoder.state.extraColumns.forEach((_, j) => cols.push(extraAlias(j)));
  const scenarioName = fields[SCENARIO_FIELD]!.name;
  const transforms = fields.map((f, i) => (isNumeric(f) ? encoder.numericTransform(i, 'encode') : null));
  const splits = SPLITS.map((s) => SPLIT_CODE[s]);
  const offsets = [0, 0, 0, 0];
  for await (const chunk of session.chunks(`SELECT ${cols.join(', ')} FROM ${codes}`)) {
    const n = chunk.rowCount;
    const split = uint8Column(chunk, 0);
    // The chunk's rows grouped by split (stable): each column is gathered once in that order and each split's
    // slice written to its sink. `order` is null when the whole chunk belongs to one split (or when predicting).
    const counts = [0, 0, 0, 0];
    for (let r = 0; r < n; r++) counts[split[r]!]!++;
    let order: Int32Array | null = null;
    if (splits.every((s) => counts[s] !== n)) {
      order = new Int32Array(n);
      const at = [0, counts[0]!, counts[0]! + counts[1]!, n - counts[3]!];
      for (let r = 0; r < n; r++) order[at[split[r]!]!++] = r;
    }
    const emit = (key: ColumnKey, out: ColumnData, width: number): void => {
      let start = 0;
      for (const s of splits) {
        const m = counts[s]!;
        if (m > 0) sinkFor(s).write(key, offsets[s]! * width, out.subarray(start * width, (start + m) * width));
        start += m;
      }
    };
    const labels = uint8Column(chunk, 1);
    const label = new Uint8Array(n);
    const scenario = new Int32Array(n);
    const scenarioIds = new Int32Array(n);
    const sc = asInt32(codeColumn(chunk, 2));
    for (let k = 0; k < n; k++) {
      const r = order ? order[k]! : k;
      label[k] = labels[r]!;
      scenario[k] = scnIndex[sc[r]!]!;
      scenarioIds[k] = idOf(scenario[k]!);
    }
    emit('label', label, 1);
    emit('scenario', scenario, 1);
    emit(`ids:${scenarioName}`, scenarioIds, 1);
    for (const p of plan) {
      const f = fields[p.field]!;
      if (f.source === 'date-part') {
        const seconds = float64Column(chunk, p.first);
        const out = new Int32Array(n);
        for (let k = 0; k < n; k++) {
          const s = seconds[order ? order[k]! : k]!;
          out[k] = Number.isNaN(s) ? OOV_ID : idOf(datePart(s, f.part));
        }
        emit(`ids:${f.name}`, out, 1);
        continue;
      }
      if (isNumeric(f)) {
        const xs = float64Column(chunk, p.first);
        const out = f.source === 'bucket' ? new Int32Array(n) : new Float32Array(n);
        const cell = transforms[p.field]!;
        for (let k = 0; k < n; k++) out[k] = cell(xs[order ? order[k]! : k]!);
        emit(f.source === 'bucket' ? `ids:${f.name}` : `num:${f.name}`, out, 1);
        continue;
      }
      const lut = luts[p.field]!;
      const none = lut.length;
      const w = p.width;
      const out = new Int32Array(n * w);
      for (let j = 0; j < w; j++) {
        const cs = asInt32(codeColumn(chunk, p.first + j));
        if (order) {
          for (let k = 0; k < n; k++) {
            const c = cs[order[k]!]!;
            out[k * w + j] = c >= none ? PAD_ID : lut[c]!;
          }
        } else {
          for (let k = 0; k < n; k++) {
            const c = cs[k]!;
            out[k * w + j] = c >= none ? PAD_ID : lut[c]!;
          }
        }
      }
      emit(`ids:${f.name}`, out, w);
    }
    encoder.state.extraColumns.forEach((c, j) => {
      const xs = float64Column(chunk, extraFirst + j);
      const out = new Float64Array(n);
      for (let k = 0; k < n; k++) out[k] = xs[order ? order[k]! : k]!;
      emit(`extra:${c}`, out, 1);
    });
    for (const s of splits) offsets[s]! += counts[s]!;
  }
  return splits.map((s) => offsets[s]!);
}
