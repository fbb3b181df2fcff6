// The contract between a model and the rest of optmsm. A model is a Zod config schema plus a `build` that
// declares its parameters and returns a forward over per-field embeddings; `buildCtrGraph` wraps it with the
// data inputs, the BCE loss and the auxiliary losses so that every model trains through one graph shape.
import { z } from 'zod';
import {
  add, bceWithLogits, constant, gather, input, mul, reduceMean, reshape, sigmoid, slice, type CompiledModel, type GraphSpec, type Tensor,
} from '../engine/index.js';
import { fromZodError, OptmsmError } from '../errors.js';
import type { FieldInfo } from '../data/index.js';
import { targetAttention } from './layers/attention.js';
import { groupOffsets, groupRows, type Routing } from './layers/scenario-params.js';

export type { FieldInfo };

export interface ModelContext {
  fields: FieldInfo[];
  numScenarios: number;
  /** The field that carries the scenario; defaults to the first specific categorical field. */
  scenarioField?: string;
  /**
   * A constant added to every logit, one per scenario (length S) or one for all (length 1): the log-odds of the
   * training split's click rate when `train.prior` asks for it (docs/models.md, "Prior logit"). Omitted: 0.
   */
  priorLogit?: readonly number[];
}

export interface ModelInputs {
  embeddings: Record<string, Tensor>; // each [B, d]
  numeric: Tensor | null; // [B, nNumeric], columns in `fields` order of the numeric fields
  scenario: Tensor; // int32 [B]
  /**
   * int32 [S + 1] when the rows are sorted by scenario (the model declared `grouped`): scenario s owns rows
   * groups[s]..groups[s+1]. null when the rows are in input order.
   */
  groups: Tensor | null;
  fields: FieldInfo[];
}

export interface ModelOutput {
  logit: Tensor; // [B]
  aux: Record<string, { value: Tensor; weight: number }>;
}

export type Forward = (inputs: ModelInputs) => ModelOutput;

// snake_case keys at the edge become camelCase once, here, for every model.
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
export type CamelKeys<T> = { [K in keyof T as K extends string ? Camel<K> : K]: T[K] };

export type AnyConfigSchema = z.ZodObject;

/**
 * A model's own search space for `optmsm tune`: exactly SEARCH_DIMENSIONS of its options (size knobs, dropout, a
 * structural choice), each with SEARCH_CHOICES candidate values, so that every model's space has the same size
 * (docs/suite.md, "Tuning"). The training options (learning rate, weight decay, embedding L2, batch size) are
 * searched on top of it, the same for every model.
 */
export type SearchSpace<S extends AnyConfigSchema = AnyConfigSchema> = {
  readonly [K in keyof z.input<S>]?: readonly [z.input<S>[K], z.input<S>[K], z.input<S>[K]];
};
export const SEARCH_DIMENSIONS = 4;
export const SEARCH_CHOICES = 3;

export interface ModelDefinition<S extends AnyConfigSchema = AnyConfigSchema> {
  name: string;
  /** One-line summary shown by `optmsm models`. */
  description: string;
  config: S;
  /** What `optmsm tune` searches (see SearchSpace). */
  search: SearchSpace<S>;
  build(config: CamelKeys<z.output<S>>, ctx: ModelContext): Forward;
  /**
   * Whether the forward routes samples through per-scenario weight matrices: buildCtrGraph then sorts the
   * batch by scenario inside the graph and hands the layers `groups`, so that they multiply each scenario's
   * rows by its weights instead of gathering a weight copy per sample. Omitted: false.
   */
  grouped?(config: CamelKeys<z.output<S>>, ctx: ModelContext): boolean;
  /**
   * The model's own pooling of a sequence field with `pooling: attention` (keys [B, L, d], the target [B, d] →
   * [B, d]); omitted: DIN's target attention. Called inside the trace, once per such field.
   */
  sequencePool?(config: CamelKeys<z.output<S>>, ctx: ModelContext, field: FieldInfo): SequencePool;
}

export type SequencePool = (keys: Tensor, target: Tensor, routing: Routing) => Tensor;

const withoutRouting = (pool: (keys: Tensor, target: Tensor) => Tensor): SequencePool => (keys, target) => pool(keys, target);

export function defineModel<S extends AnyConfigSchema>(definition: ModelDefinition<S>): ModelDefinition<S> {
  return definition;
}

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The full snake_case config with defaults filled in (what a run saves as its resolved config). */
export function resolveModelConfig(definition: ModelDefinition, raw: unknown = {}): Record<string, unknown> {
  const parsed = definition.config.safeParse(raw ?? {});
  if (!parsed.success) {
    throw fromZodError(parsed.error, {
      name: `model '${definition.name}'`,
      prefix: 'model',
      knownKeys: Object.keys(definition.config.shape).join(', '),
      input: raw ?? {},
    });
  }
  return parsed.data as Record<string, unknown>;
}

function toCamel(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [camel(k), v]));
}

/** A sequence pooled by attention reaches the graph unpooled: its maxLen positions side by side. */
const keptPositions = (f: FieldInfo): boolean => f.kind === 'sequence' && f.pooling === 'attention';

/** Columns of E a field takes: its embedding, or a sequence's maxLen embeddings when attention pools it. */
export function fieldWidth(f: FieldInfo): number {
  return keptPositions(f) ? f.maxLen * f.embeddingDim : f.embeddingDim;
}

export function embeddingWidth(fields: readonly FieldInfo[]): number {
  return fields.filter((f) => f.kind !== 'numeric').reduce((s, f) => s + fieldWidth(f), 0);
}

/**
 * The default pooling of a sequence with `pooling: attention`: DIN's target attention (layers/attention.ts,
 * activation unit [36]) with the sequence's vocabulary field as the target.
 */
const DEFAULT_ATTENTION_HIDDEN = [36];

export function numericCount(fields: readonly FieldInfo[]): number {
  return fields.filter((f) => f.kind === 'numeric').length;
}

export interface CtrGraphOptions {
  /** Also return the logit as an output (default true). */
  logitOutput?: boolean;
  /**
   * 'auto' (default): sort by scenario and route by groups when the model declares `grouped`;
   * 'gather': rows stay in input order and routed layers gather per-sample weights (the reference path).
   */
  routing?: 'auto' | 'gather';
}

/**
 * The build function handed to the engine's `compile`: data inputs `E` [B, Σ widths] (categorical and multi
 * fields in `fields` order), `numeric` [B, n] when there are numeric fields, `scenario` int32 [B] and
 * `label` float32 [B]; loss = mean BCE-with-logits + Σ weight·aux.
 */
export function buildCtrGraph(
  definition: ModelDefinition,
  rawConfig: unknown,
  ctx: ModelContext,
  options: CtrGraphOptions = {},
): () => GraphSpec {
  const config = toCamel(resolveModelConfig(definition, rawConfig));
  if (ctx.numScenarios < 1) {
    throw new OptmsmError('E_MODEL_CONFIG', 'a model needs at least one scenario', { found: String(ctx.numScenarios) });
  }
  const grouped = (options.routing ?? 'auto') === 'auto' && (definition.grouped?.(config as never, ctx) ?? false);
  return () => {
    const forward = definition.build(config as never, ctx);
    const width = embeddingWidth(ctx.fields);
    const nNumeric = numericCount(ctx.fields);
    let E = input('E', ['B', width], 'float32');
    let numeric = nNumeric > 0 ? input('numeric', ['B', nNumeric], 'float32') : null;
    let scenario = input('scenario', ['B'], 'int32');
    const inputScenario = scenario;
    const label = input('label', ['B'], 'float32');

    // Grouped routing: the model runs on the rows sorted by scenario (a stable in-graph sort), and its logit
    // goes back to input order, so callers feed and read rows in any order. One scenario needs no sort.
    let groups: Tensor | null = null;
    let inInputOrder = (t: Tensor) => t;
    if (grouped) {
      if (ctx.numScenarios > 1) {
        const rows = groupRows(scenario, ctx.numScenarios);
        E = rows.sort(E);
        numeric = numeric && rows.sort(numeric);
        ({ scenario, groups } = rows.routing);
        inInputOrder = rows.unsort;
      } else {
        groups = groupOffsets(scenario, 1);
      }
    }

    const embeddings: Record<string, Tensor> = {};
    const sequences: { field: FieldInfo; keys: Tensor }[] = [];
    let offset = 0;
    for (const field of ctx.fields) {
      if (field.kind === 'numeric') continue;
      const columns = slice(E, 1, offset, offset + fieldWidth(field));
      if (keptPositions(field)) sequences.push({ field, keys: reshape(columns, ['B', field.maxLen, field.embeddingDim]) });
      else embeddings[field.name] = columns;
      offset += fieldWidth(field);
    }
    // Attention-pooled sequences become one vector each, so every model sees them as ordinary fields.
    for (const { field, keys } of sequences) {
      const pool = definition.sequencePool?.(config as never, ctx, field)
        ?? withoutRouting(targetAttention(`attention.${field.name}`, field.embeddingDim, { hidden: DEFAULT_ATTENTION_HIDDEN }));
      embeddings[field.name] = pool(keys, embeddings[field.vocabulary!], { scenario, groups }); // [B, d]
    }

    const result = forward({ embeddings, numeric, scenario, groups, fields: ctx.fields });
    const { aux } = result;
    const logit = withPrior(inInputOrder(result.logit), ctx.priorLogit, inputScenario);
    let loss = reduceMean(bceWithLogits(logit, label), [0]);
    const auxOut: Record<string, Tensor> = {};
    for (const [name, term] of Object.entries(aux)) {
      auxOut[name] = term.value;
      if (term.weight !== 0) loss = add(loss, mul(term.value, term.weight));
    }
    const outputs: Record<string, Tensor> = { probability: sigmoid(logit) };
    if (options.logitOutput ?? true) outputs.logit = logit;
    return { loss, aux: auxOut, outputs, gradInputs: ['E'] };
  };
}

/**
 * logit + prior: without it every model starts at p = 0.5 and, with Adam moving each weight by about the learning
 * rate per step, the base rate is learnt by pushing the embedding rows of frequent ids down first (docs/models.md).
 */
function withPrior(logit: Tensor, prior: readonly number[] | undefined, scenario: Tensor): Tensor {
  if (!prior || prior.every((v) => v === 0)) return logit;
  if (prior.length === 1) return add(logit, prior[0]!);
  return add(logit, gather(constant(Float32Array.from(prior), [prior.length]), scenario, 0));
}

export interface ParameterCounts {
  dense: number;
  embedding: number;
}

/** Dense = every trained weight in theta; embedding = Σ vocab·dim over the embedding tables. */
export function countParameters(compiled: Pick<CompiledModel, 'thetaSize'>, fields: readonly FieldInfo[]): ParameterCounts {
  // A sequence's ids index its vocabulary field's table: each table counts once.
  const embedding = fields.filter((f) => f.kind !== 'numeric' && f.vocabulary === undefined).reduce((s, f) => s + f.vocabSize * f.embeddingDim, 0);
  return { dense: compiled.thetaSize, embedding };
}
