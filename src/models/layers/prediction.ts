// The scenario-specific prediction module of a multi-scenario model, as a plug-in (OptMSM as a framework):
// `towers` = one ordinary MLP tower per scenario (routed), `residual` = one shared tower whose logit a small
// tower per scenario corrects, `hyper` = OptMSM's SSH, whose generated layers are conditioned on
// c = MLP_c(source) [; e_scenario]. The source is e_sp (the scenario-specific fields) unless
// the model hands its own (OptMSM: h_sp). Used by optmsm, shared-bottom, mmoe and ple.
import { z } from 'zod';
import { add, concat, mul, param, scope, squeeze, type Tensor } from '../../engine/index.js';
import { route } from './scenario-params.js';
import type { ModelContext, ModelInputs } from '../model.js';
import { concatFields, fieldsWidth, namedFilter, scenarioFieldName } from './embedding.js';
import type { HyperMode } from './hyper-linear.js';
import { hyperTower, sshShape, type Generate } from './hyper-tower.js';
import { hiddenSchema, mlp, type Activation, type Norm } from './mlp.js';
import { generatesPerScenario, specificInput, type Generation, type SpecificRows } from './specific-input.js';

export function predictionShape(towerDefault: number[]) {
  return {
    prediction: z.enum(['towers', 'hyper']).default('towers')
      .describe("towers: one tower per scenario (the paper); hyper: OptMSM's scenario-specific hypernetwork"),
    tower_hidden: hiddenSchema.min(1).default(towerDefault).describe('hidden sizes of the towers (or of the SSH tower)'),
    ...sshShape,
  };
}

export type Prediction = 'towers' | 'residual' | 'hyper';

export interface PredictionConfig {
  prediction: Prediction;
  towerHidden: number[];
  /** prediction 'residual': hidden sizes of the per-scenario correction towers. */
  residualHidden?: number[];
  /** prediction 'residual': a learned gain per scenario on the shared tower's logit (starts at 1). */
  residualGain?: boolean;
  generate: Generate;
  hyperMode: HyperMode;
  hyperRank: number;
  hyperDim: number;
  hyperGeneration: Generation;
  activation: Activation;
  dropout: number;
  norm?: Norm;
}

/** Whether the prediction module routes weight matrices per scenario (towers, or per-scenario generated layers). */
export function predictionGrouped(cfg: PredictionConfig, ctx: ModelContext): boolean {
  return cfg.prediction !== 'hyper' || generatesPerScenario(cfg.hyperGeneration, cfg.hyperMode, ctx);
}

export interface PredictionOptions {
  /** Width of the source the model passes for MLP_c; omitted: the source is e_sp. */
  sourceDim?: number;
  /** Concatenate the scenario field's embedding to c. */
  scenarioEmbedding?: boolean;
}

/** A model's own hypernetwork source x [N, sourceDim], at the rows of its `SpecificRows`. */
export interface HyperSource {
  rows: SpecificRows;
  x: Tensor;
}

export type Predict = (h: Tensor, inputs: ModelInputs, source?: HyperSource) => Tensor;

/** (h [B, in], inputs[, source]) → logit [B]. */
export function predictionModule(
  name: string, ctx: ModelContext, inDim: number, cfg: PredictionConfig, options: PredictionOptions = {},
): Predict {
  const act = { activation: cfg.activation, dropout: cfg.dropout };
  if (cfg.prediction === 'towers') {
    const towers = mlp(name, inDim, { hidden: cfg.towerHidden, outputDim: 1, norm: cfg.norm, ...act }, { scenarios: ctx.numScenarios });
    return (h, inputs) => squeeze(towers(h, inputs), 1);
  }
  if (cfg.prediction === 'residual') {
    // logit_s = g_s · tower(h) + tower_s(h): every scenario's rows train the shared tower, so a scenario with few
    // rows leans on it, and its own tower learns only what the shared one misses. The gain g_s (1 without
    // residual_gain) is one number a scenario learns fast from few rows: it can turn the shared logit down, or
    // over, where the scenario's effects oppose the big scenarios'.
    const shared = mlp(name, inDim, { hidden: cfg.towerHidden, outputDim: 1, norm: cfg.norm, ...act });
    const corrections = mlp(`${name}.residual`, inDim, { hidden: cfg.residualHidden ?? [], outputDim: 1, norm: cfg.norm, ...act },
      { scenarios: ctx.numScenarios });
    const gain = cfg.residualGain ? scope(`${name}.gain`, () => param('weight', [ctx.numScenarios, 1], { kind: 'ones' })) : null;
    return (h, inputs) => {
      const base = gain ? mul(route(gain, inputs.scenario), shared(h)) : shared(h); // [B, 1]
      return squeeze(add(base, corrections(h, inputs)), 1);
    };
  }
  const specific = specificInput(ctx, cfg.hyperGeneration);
  const mlpC = mlp(`${name}.hyper_input`, options.sourceDim ?? specific.width, { hidden: [cfg.hyperDim] });
  const scenarioFilter = namedFilter([scenarioFieldName(ctx)]);
  const condDim = cfg.hyperDim + (options.scenarioEmbedding ? fieldsWidth(ctx.fields, scenarioFilter) : 0);
  const tower = hyperTower(name, inDim, {
    hidden: cfg.towerHidden, generate: cfg.generate, mode: cfg.hyperMode, rank: cfg.hyperRank, condDim, ...act,
  });
  return (h, inputs, source) => {
    const rows = source?.rows ?? specific.rows(inputs);
    let c = mlpC(source?.x ?? rows.eSp); // [N, h]
    if (options.scenarioEmbedding) c = concat([c, rows.at(concatFields(inputs, scenarioFilter))], 1);
    return tower(h, rows.conditioning(c));
  };
}
