// The scenario-specific prediction module of a multi-scenario model, as a plug-in (OptMSM as a framework):
// `towers` = one ordinary MLP tower per scenario (routed), `hyper` = OptMSM's SSH conditioned on the
// scenario-specific fields. Used by shared-bottom, mmoe and ple.
import { z } from 'zod';
import { squeeze, type Tensor } from '../../engine/index.js';
import type { ModelContext, ModelInputs } from '../model.js';
import { generatesPerScenario, hyperTower, specificConditioning, sshShape, type Generate, type Generation } from './hyper-tower.js';
import type { HyperMode } from './hyper-linear.js';
import { hiddenSchema, type Activation, type Norm } from './mlp.js';
import { scenarioMlp } from './scenario-params.js';

export function predictionShape(towerDefault: number[]) {
  return {
    prediction: z.enum(['towers', 'hyper']).default('towers')
      .describe("towers: one tower per scenario (the paper); hyper: OptMSM's scenario-specific hypernetwork"),
    tower_hidden: hiddenSchema.min(1).default(towerDefault).describe('hidden sizes of the towers (or of the SSH tower)'),
    ...sshShape,
  };
}

export interface PredictionConfig {
  prediction: 'towers' | 'hyper';
  towerHidden: number[];
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
  return cfg.prediction === 'towers' || generatesPerScenario(cfg.hyperGeneration, cfg.hyperMode, ctx);
}

/** (h [B, in], inputs) → logit [B]. */
export function predictionModule(
  name: string, ctx: ModelContext, inDim: number, cfg: PredictionConfig,
): (h: Tensor, inputs: ModelInputs) => Tensor {
  const act = { activation: cfg.activation, dropout: cfg.dropout };
  if (cfg.prediction === 'towers') {
    const towers = scenarioMlp(name, ctx.numScenarios, inDim, { hidden: cfg.towerHidden, outputDim: 1, norm: cfg.norm, ...act });
    return (h, inputs) => squeeze(towers(h, inputs), 1);
  }
  const conditioning = specificConditioning(`${name}.hyper_input`, ctx, cfg.hyperDim, cfg.hyperGeneration);
  const tower = hyperTower(name, inDim, {
    hidden: cfg.towerHidden, generate: cfg.generate, mode: cfg.hyperMode, rank: cfg.hyperRank, condDim: cfg.hyperDim, ...act,
  });
  return (h, inputs) => tower(h, conditioning(inputs));
}
