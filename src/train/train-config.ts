// The training options of a run, validated at the edge (snake_case keys, as users write them in YAML) and mapped
// once, here, to the camelCase TrainConfig the trainer uses.
import { z } from 'zod';
import type { DenseOptimizerConfig, SparseOptimizerConfig } from '../engine/index.js';
import { earlyStoppingSchema } from './early-stopping.js';
import { lrScheduleSchema } from './schedules.js';

const denseOptimizer = z
  .strictObject({
    name: z.enum(['adam', 'adamw', 'adagrad', 'sgd']).default('adam').describe('optimizer for dense weights'),
    lr: z.number().positive().default(1e-3),
    weight_decay: z.number().min(0).default(1e-5).describe('L2 (adam/adagrad/sgd) or decoupled decay (adamw)'),
    momentum: z.number().min(0).max(1).default(0.9).describe('sgd only'),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    eps: z.number().positive().optional().describe('default 1e-8 (adam) or 1e-10 (adagrad)'),
  })
  .transform(
    (c): DenseOptimizerConfig => ({
      name: c.name, lr: c.lr, weightDecay: c.weight_decay, momentum: c.momentum, beta1: c.beta1, beta2: c.beta2, eps: c.eps,
    }),
  );

const sparseOptimizer = z
  .strictObject({
    name: z.enum(['adam', 'adagrad']).default('adam').describe('lazy optimizer for the embedding rows of a batch'),
    lr: z.number().positive().optional().describe('default: the dense lr'),
    l2: z.number().min(0).default(1e-5).describe('L2 penalty on the embedding rows used in the batch'),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    eps: z.number().positive().optional(),
  })
  .transform((c) => ({ name: c.name, lr: c.lr, l2: c.l2, beta1: c.beta1, beta2: c.beta2, eps: c.eps }));

export const trainConfigSchema = z
  .strictObject({
    epochs: z.number().int().positive().default(50).describe('epoch limit; early stopping usually ends sooner'),
    batch_size: z.number().int().positive().default(4096),
    eval_batch_size: z.number().int().positive().default(16384),
    optimizer: denseOptimizer.prefault({}),
    sparse_optimizer: sparseOptimizer.prefault({}),
    schedule: lrScheduleSchema.prefault({ name: 'constant' }),
    early_stopping: earlyStoppingSchema.prefault({}),
    clip_norm: z.number().positive().nullable().default(null).describe('global gradient-norm clipping; null = off'),
    threads: z.number().int().positive().default(2).describe('onnxruntime intra-op threads'),
    on_non_finite: z.enum(['error', 'skip']).default('error').describe('a NaN/Inf loss stops training, or skips the batch'),
    gauc_field: z.string().nullable().default(null).describe('field whose values group gAUC, e.g. user_id'),
    prior: z
      .enum(['none', 'global', 'scenario'])
      .default('scenario')
      .describe("constant added to every model's logit: none, the training split's log-odds (global) or each scenario's (scenario)"),
  })
  .transform((c) => ({
    epochs: c.epochs,
    batchSize: c.batch_size,
    evalBatchSize: c.eval_batch_size,
    optimizer: c.optimizer,
    sparseOptimizer: {
      ...c.sparse_optimizer,
      lr: c.sparse_optimizer.lr ?? c.optimizer.lr,
    } satisfies SparseOptimizerConfig,
    schedule: c.schedule,
    earlyStopping: c.early_stopping,
    clipNorm: c.clip_norm,
    threads: c.threads,
    onNonFinite: c.on_non_finite,
    gaucField: c.gauc_field,
    prior: c.prior,
  }));

export type TrainConfigInput = z.input<typeof trainConfigSchema>;
export type TrainConfig = z.output<typeof trainConfigSchema>;
