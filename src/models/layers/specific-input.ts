// The scenario-specific input e_sp (the fields of F_sp) as the source of per-scenario conditioning: OptMSM's
// h_sp, gate and hypernetwork input, M2M's scenario representation, the SSH prediction module's c. When F_sp
// is the scenario field alone, e_sp has one value per scenario, so every function of it is evaluated once per
// scenario ([S, ·], from each scenario's rows: their mean, which is that scenario's embedding) and routed to
// the samples; generated layers then get per-scenario conditioning. This equals per-sample evaluation
// (outputs and dL/dθ exactly; dL/dE summed per scenario, which is what reaches the embedding table) and saves
// the work of B - S rows.
// A model may add a learned scenario code q_s to e_sp (`code`, from scenarioCode): a dense vector per scenario drawn N(0, σ²), so
// that whatever reads e_sp tells the scenarios apart from the first step. The embeddings start near zero
// (N(0, 1e-4)), so without it h_sp, a gate or a hypernetwork input is the same for every scenario until the
// scenario's embedding has grown, and a hypernetwork trains as one shared network meanwhile (docs/results.md,
// "Diagnosis"). `scenarioOnly` reads the scenario field alone (and the code): per scenario whatever F_sp holds.
import { z } from 'zod';
import { concat, param, scope, type Tensor } from '../../engine/index.js';
import type { FieldInfo, ModelContext, ModelInputs } from '../model.js';
import { concatFields, fieldsWidth, scenarioFieldName, specificFilter } from './embedding.js';
import type { Conditioning, HyperMode } from './hyper-linear.js';
import { route, scenarioValues } from './scenario-params.js';

export const generationSchema = z.enum(['auto', 'per_sample']);
export type Generation = z.infer<typeof generationSchema>;

/** True when F_sp is the scenario field alone, so anything computed from e_sp depends on the scenario only. */
export function specificIsScenarioOnly(ctx: ModelContext): boolean {
  const scenario = scenarioFieldName(ctx);
  const specific = ctx.fields.filter(specificFilter(ctx));
  return specific.length === 1 && specific[0].name === scenario;
}

/** Generated weight matrices are per scenario (decomposed cores, full weights), so they route by groups. */
export function generatesPerScenario(generation: Generation, mode: HyperMode, ctx: ModelContext): boolean {
  return generation === 'auto' && specificIsScenarioOnly(ctx) && mode !== 'scale';
}

/** e_sp and what lives at its rows N (S scenarios or B samples) in one forward. */
export interface SpecificRows {
  /** e_sp at the rows: [S, D_sp] per scenario, else [B, D_sp]. */
  readonly eSp: Tensor;
  /** Another per-sample input that depends on the scenario only (e.g. its embedding), at the same rows. */
  at(x: Tensor): Tensor;
  /** [N, ·] → each sample's own row, [B, ·]. */
  toSamples(x: Tensor): Tensor;
  /** A hypernetwork input c [N, h] as the conditioning of generated layers. */
  conditioning(c: Tensor): Conditioning;
}

export interface SpecificInput {
  /** D_sp: the width of e_sp. */
  readonly width: number;
  /** Whether functions of e_sp are evaluated per scenario (hyper_generation auto and F_sp = {scenario}). */
  readonly perScenario: boolean;
  rows(inputs: ModelInputs): SpecificRows;
}

/** A learned scenario code q_s [S, dim], drawn N(0, std²): `<name>.scenario_code`. */
export function scenarioCode(name: string, numScenarios: number, dim: number, std: number): Tensor {
  return scope(name, () => param('scenario_code', [numScenarios, dim], { kind: 'normal', std }));
}

export interface SpecificInputOptions {
  /** A scenario code [S, d] (scenarioCode) concatenated to e_sp. */
  code?: Tensor;
  /** The scenario field alone instead of every field of F_sp. */
  scenarioOnly?: boolean;
}

export function specificInput(ctx: ModelContext, generation: Generation, options: SpecificInputOptions = {}): SpecificInput {
  const scenarioField = scenarioFieldName(ctx);
  const filter = options.scenarioOnly ? (f: FieldInfo) => f.name === scenarioField : specificFilter(ctx);
  const perScenario = generation === 'auto' && (options.scenarioOnly === true || specificIsScenarioOnly(ctx));
  const { code } = options;
  const rows = (inputs: ModelInputs): SpecificRows => {
    const { scenario, groups } = inputs;
    const at = (x: Tensor) => (perScenario ? scenarioValues(x, scenario, ctx.numScenarios) : x);
    const fields = at(concatFields(inputs, filter)); // [N, D_sp]
    return {
      // The code's rows are the scenarios themselves: per scenario as it is, per sample routed.
      eSp: code ? concat([fields, perScenario ? code : route(code, scenario)], 1) : fields,
      at,
      toSamples: (x) => (perScenario ? route(x, scenario) : x),
      conditioning: (c) => (perScenario ? { kind: 'per_scenario', c, scenario, groups } : { kind: 'per_sample', c }),
    };
  };
  return { width: fieldsWidth(ctx.fields, filter) + (code ? (code.shape[1] as number) : 0), perScenario, rows };
}
