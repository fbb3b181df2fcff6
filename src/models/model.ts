// The contract between a model and the rest of optmsm. A model is a Zod config schema plus a `build` that
// declares its parameters and returns a forward over per-field embeddings; `buildCtrGraph` wraps it with the
// data inputs, the BCE loss and the auxiliary losses so that every model trains through one graph shape.
import { z } from 'zod';
import {
  add, bceWithLogits, input, mul, reduceMean, sigmoid, slice,
  type CompiledModel, type GraphSpec, type Tensor,
} from '../engine/index.js';
import { OptmsmError } from '../errors.js';
import type { FieldInfo } from '../data/index.js';

export type { FieldInfo };

export interface ModelContext {
  fields: FieldInfo[];
  numScenarios: number;
  /** The field that carries the scenario; defaults to the first specific categorical field. */
  scenarioField?: string;
}

export interface ModelInputs {
  embeddings: Record<string, Tensor>; // each [B, d]
  numeric: Tensor | null; // [B, nNumeric], columns in `fields` order of the numeric fields
  scenario: Tensor; // int32 [B]
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

export interface ModelDefinition<S extends AnyConfigSchema = AnyConfigSchema> {
  name: string;
  /** One-line summary shown by `optmsm models`. */
  description: string;
  config: S;
  build(config: CamelKeys<z.output<S>>, ctx: ModelContext): Forward;
}

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
    const issue = parsed.error.issues[0];
    const unknownKey = issue.code === 'unrecognized_keys';
    const path = [...issue.path, ...(unknownKey ? issue.keys : [])].join('.');
    throw new OptmsmError(
      unknownKey ? 'E_CONFIG_UNKNOWN_KEY' : 'E_CONFIG_INVALID',
      `model '${definition.name}': ${issue.message}`,
      {
        location: path ? `model.${path}` : 'model',
        hint: unknownKey ? `known keys: ${Object.keys(definition.config.shape).join(', ')}` : undefined,
      },
    );
  }
  return parsed.data as Record<string, unknown>;
}

function toCamel(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [camel(k), v]));
}

export function embeddingWidth(fields: readonly FieldInfo[]): number {
  return fields.filter((f) => f.kind !== 'numeric').reduce((s, f) => s + f.embeddingDim, 0);
}

export function numericCount(fields: readonly FieldInfo[]): number {
  return fields.filter((f) => f.kind === 'numeric').length;
}

export interface CtrGraphOptions {
  /** Also return the logit as an output (default true). */
  logitOutput?: boolean;
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
  return () => {
    const forward = definition.build(config as never, ctx);
    const width = embeddingWidth(ctx.fields);
    const nNumeric = numericCount(ctx.fields);
    const E = input('E', ['B', width], 'float32');
    const numeric = nNumeric > 0 ? input('numeric', ['B', nNumeric], 'float32') : null;
    const scenario = input('scenario', ['B'], 'int32');
    const label = input('label', ['B'], 'float32');

    const embeddings: Record<string, Tensor> = {};
    let offset = 0;
    for (const field of ctx.fields) {
      if (field.kind === 'numeric') continue;
      embeddings[field.name] = slice(E, 1, offset, offset + field.embeddingDim);
      offset += field.embeddingDim;
    }

    const { logit, aux } = forward({ embeddings, numeric, scenario, fields: ctx.fields });
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

export interface ParameterCounts {
  dense: number;
  embedding: number;
}

/** Dense = every trained weight in theta; embedding = Σ vocab·dim over the embedded fields. */
export function countParameters(compiled: Pick<CompiledModel, 'thetaSize'>, fields: readonly FieldInfo[]): ParameterCounts {
  const embedding = fields.filter((f) => f.kind !== 'numeric').reduce((s, f) => s + f.vocabSize * f.embeddingDim, 0);
  return { dense: compiled.thetaSize, embedding };
}
