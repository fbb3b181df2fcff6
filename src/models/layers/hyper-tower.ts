// OptMSM's scenario-specific hypernetwork (SSH) prediction module, usable in place of per-scenario towers:
// layer 1 is an ordinary shared layer; the layers that `generate` selects get their parameters from the
// conditioning c (upper: every layer after the first, including the 1-unit output; all: every layer; last:
// only the output layer). Hidden layers use the activation; the output is a logit.
import { z } from 'zod';
import { squeeze, type Tensor } from '../../engine/index.js';
import { hyperLinear, hyperModeSchema, type Conditioning, type HyperMode } from './hyper-linear.js';
import { activate, linear, maybeDropout, type Activation } from './mlp.js';
import { generationSchema } from './specific-input.js';

export const generateSchema = z.enum(['upper', 'all', 'last']);
export type Generate = z.infer<typeof generateSchema>;

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
