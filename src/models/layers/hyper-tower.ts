// OptMSM's scenario-specific hypernetwork (SSH) prediction module, usable in place of per-scenario towers:
// layer 1 is an ordinary shared layer; the layers that `generate` selects get their parameters from the
// conditioning c (upper: every layer after the first, including the 1-unit output; all: every layer; last:
// only the output layer). Hidden layers use the activation; the output is a logit.
import { z } from 'zod';
import { squeeze, type Tensor } from '../../engine/index.js';
import type { ModelContext, ModelInputs } from '../model.js';
import { concatFields, fieldsWidth, scenarioFieldName, specificFilter } from './embedding.js';
import { hyperLinear, hyperModeSchema, type Conditioning, type HyperMode } from './hyper-linear.js';
import { activate, linear, maybeDropout, mlp, type Activation } from './mlp.js';
import { scenarioValues } from './scenario-params.js';

export const generateSchema = z.enum(['upper', 'all', 'last']);
export type Generate = z.infer<typeof generateSchema>;
export const generationSchema = z.enum(['auto', 'per_sample']);
export type Generation = z.infer<typeof generationSchema>;

/** The SSH keys every model with `prediction: hyper` accepts (snake_case, as in configs). */
export const sshShape = {
  generate: generateSchema.default('upper').describe('which tower layers are generated: upper | all | last'),
  hyper_mode: hyperModeSchema.default('decomposed').describe('how a layer is generated: decomposed | full | scale'),
  hyper_rank: z.number().int().positive().default(16).describe('k: size of the generated core in decomposed mode'),
  hyper_dim: z.number().int().positive().default(32).describe('h: size of the hypernetwork input c = MLP_c(·)'),
  hyper_generation: generationSchema.default('auto')
    .describe('auto: generate once per scenario when c depends on the scenario only; per_sample: always per sample'),
};

export interface HyperTowerOptions {
  hidden: readonly number[];
  generate: Generate;
  mode: HyperMode;
  rank: number;
  condDim: number;
  activation?: Activation;
  dropout?: number;
}

export type HyperTower = (x: Tensor, cond: Conditioning) => Tensor;

export function hyperTower(name: string, inDim: number, options: HyperTowerOptions): HyperTower {
  const { hidden, generate, mode, rank, condDim, activation = 'relu', dropout: rate = 0 } = options;
  const dims = [inDim, ...hidden, 1];
  const last = dims.length - 2;
  const generated = (i: number) => generate === 'all' || (generate === 'upper' && i >= 1) || (generate === 'last' && i === last);
  const layers = dims.slice(0, -1).map((n, i) => {
    const layerName = i === last ? `${name}.out` : `${name}.${i}`;
    if (!generated(i)) {
      const plain = linear(layerName, n, dims[i + 1]);
      return (x: Tensor) => plain(x);
    }
    const hyper = hyperLinear(layerName, { inDim: n, outDim: dims[i + 1], condDim, mode, rank });
    return (x: Tensor, cond: Conditioning) => hyper(x, cond);
  });
  return (x, cond) => {
    let h = x;
    layers.forEach((layer, i) => {
      h = layer(h, cond);
      if (i !== last) h = maybeDropout(activate(h, activation), rate);
    });
    return squeeze(h, 1); // [B]
  };
}

/** True when F_sp is the scenario field alone, so c (a function of e_sp) depends on the scenario only. */
export function specificIsScenarioOnly(ctx: ModelContext): boolean {
  const scenario = scenarioFieldName(ctx);
  const specific = ctx.fields.filter(specificFilter(ctx));
  return specific.length === 1 && specific[0].name === scenario;
}

/** Generated weight matrices are per scenario (decomposed cores, full weights), so they route by groups. */
export function generatesPerScenario(generation: Generation, mode: HyperMode, ctx: ModelContext): boolean {
  return generation === 'auto' && specificIsScenarioOnly(ctx) && mode !== 'scale';
}

/**
 * Conditioning for models without their own specific encoder: c = MLP_c(e_sp), one ReLU layer of size h,
 * computed once per scenario (from each scenario's e_sp) when that is exact, else per sample.
 */
export function specificConditioning(
  name: string, ctx: ModelContext, hyperDim: number, generation: Generation,
): (inputs: ModelInputs) => Conditioning {
  const filter = specificFilter(ctx);
  const mlpC = mlp(name, fieldsWidth(ctx.fields, filter), { hidden: [hyperDim] });
  const perScenario = generation === 'auto' && specificIsScenarioOnly(ctx);
  return (inputs) => {
    const eSp = concatFields(inputs, filter); // [B, D_sp]
    if (!perScenario) return { kind: 'per_sample', c: mlpC(eSp) };
    return {
      kind: 'per_scenario', c: mlpC(scenarioValues(eSp, inputs.scenario, ctx.numScenarios)), scenario: inputs.scenario, groups: inputs.groups,
    };
  };
}
