// The spec of a parameterised synthetic world (docs/data.md, "Synthetic worlds"): validated at the edge (snake_case
// keys, as users write YAML) and mapped once to camelCase; the columns a world writes and the features a dataset
// config declares for them. The generator is worlds.ts.
import { z } from 'zod';
import { fromZodError } from '../errors.js';

const BASE_COLUMNS = ['user_id', 'item_id', 'age_group', 'gender', 'city', 'category', 'brand', 'price_level', 'hour', 'position'];
const TAIL_COLUMNS = ['scenario', 'ts', 'click', 'true_prob'];

const entitySchema = (count: number, zipf: number) =>
  z
    .strictObject({
      count: z.number().int().positive().default(count).describe('distinct ids'),
      zipf: z.number().min(0).default(zipf).describe('popularity exponent: row share of rank k ∝ 1/k^zipf (0 = uniform)'),
      id_share: z.number().min(0).max(1).default(0.7)
        .describe('share of the latent taste that belongs to the id alone (the rest comes from its attributes)'),
    })
    .transform((e) => ({ count: e.count, zipf: e.zipf, idShare: e.id_share }));

const scenarioList = z.array(z.number().int().nonnegative());

const contextSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower-case column name').describe('column name'),
    values: z.number().int().min(2).default(6).describe('distinct values'),
    strength: z.number().min(0).default(0.5).describe('std of its effect on the logit, in units of the shared part'),
    scenarios: scenarioList.nullable().default(null).describe('scenarios where it is defined (elsewhere "none"); null = all'),
  });

const worldSpecObject = z
  .strictObject({
    rows: z.number().int().min(100),
    seed: z.number().int().nonnegative().default(1),
    scenarios: z.number().int().min(1).max(64),
    sizes: z.array(z.number().positive()).optional().describe('relative row share of each scenario; default 0.6^s'),
    base_ctr: z.array(z.number().gt(0).lt(1)).optional().describe('mean click probability of each scenario; default 3-15%'),
    users: entitySchema(5000, 0.6).prefault({}),
    items: entitySchema(2000, 1.05).prefault({}),
    latent_dim: z.number().int().positive().default(8),
    logit_std: z.number().positive().default(1.45).describe('spread of the click logit (sets how predictable clicks are)'),
    noise: z.number().min(0).default(1).describe('std of the unobserved per-impression logit noise'),
    specific: z.union([z.number().min(0), z.array(z.number().min(0))]).default(1)
      .describe('std of the scenario-specific part relative to the shared part: 0 none, 1 equal, 3 dominant; or one per scenario'),
    taste_flip: z
      .strictObject({
        strength: z.number().min(0).default(0).describe('std of the flipping taste term, in units of the shared part'),
        scenarios: scenarioList.default([]).describe('scenarios where its sign is negative'),
      })
      .prefault({}),
    position: z
      .strictObject({
        strength: z.number().min(0).default(0.3).describe('std of the position effect, in units of the shared part'),
        slots: z.tuple([z.number().int().min(2), z.number().int().min(2)]).default([2, 8])
          .describe('range of the number of slots per scenario'),
      })
      .prefault({}),
    context: z.array(contextSchema).default([]).describe('scenario-specific context fields'),
    numeric: z
      .strictObject({
        count: z.number().int().min(0).max(16).default(0).describe('numeric impression features num_0..'),
        strength: z.number().min(0).default(0.5).describe('std of their shared effect (raw logit units, before scaling)'),
      })
      .prefault({}),
  });

export const worldSpecSchema = worldSpecObject
  .superRefine((w, ctx) => {
    const perScenario = (key: 'sizes' | 'base_ctr' | 'specific', value: unknown) => {
      if (Array.isArray(value) && value.length !== w.scenarios) {
        ctx.addIssue({ code: 'custom', path: [key], message: `one value per scenario (${w.scenarios}), got ${value.length}` });
      }
    };
    perScenario('sizes', w.sizes);
    perScenario('base_ctr', w.base_ctr);
    perScenario('specific', w.specific);
    const inRange = (path: (string | number)[], list: number[] | null) => {
      for (const s of list ?? []) {
        if (s >= w.scenarios) ctx.addIssue({ code: 'custom', path, message: `scenario ${s} does not exist (0..${w.scenarios - 1})` });
      }
    };
    inRange(['taste_flip', 'scenarios'], w.taste_flip.scenarios);
    const names = new Set<string>([...BASE_COLUMNS, ...TAIL_COLUMNS]);
    w.context.forEach((c, k) => {
      inRange(['context', k, 'scenarios'], c.scenarios);
      if (names.has(c.name) || /^num_\d+$/.test(c.name)) {
        ctx.addIssue({ code: 'custom', path: ['context', k, 'name'], message: `column name '${c.name}' is taken` });
      }
      names.add(c.name);
    });
    if (w.position.slots[0] > w.position.slots[1]) {
      ctx.addIssue({ code: 'custom', path: ['position', 'slots'], message: 'slots: [min, max] with min <= max' });
    }
  })
  .transform((w) => ({
    rows: w.rows,
    seed: w.seed,
    scenarios: w.scenarios,
    sizes: w.sizes ?? null,
    baseCtr: w.base_ctr ?? null,
    users: w.users,
    items: w.items,
    latentDim: w.latent_dim,
    logitStd: w.logit_std,
    noise: w.noise,
    specific: Array.isArray(w.specific) ? w.specific : Array.from({ length: w.scenarios }, () => w.specific as number),
    tasteFlip: w.taste_flip,
    position: w.position,
    context: w.context,
    numeric: w.numeric,
  }));

export type WorldSpecInput = z.input<typeof worldSpecSchema>;
export type WorldSpec = z.output<typeof worldSpecSchema>;

/** Validates a world spec read from `file` (a world spec file; dataset configs validate theirs in their schema). */
export function parseWorldSpec(raw: unknown, file: string): WorldSpec {
  const parsed = worldSpecSchema.safeParse(raw);
  if (!parsed.success) throw fromZodError(parsed.error, { file, knownKeys: Object.keys(worldSpecObject.shape).join(', ') });
  return parsed.data;
}

/** Column names of a world's file, in order. */
export function worldColumns(spec: WorldSpec): string[] {
  const numeric = Array.from({ length: spec.numeric.count }, (_, j) => `num_${j}`);
  return [...BASE_COLUMNS, ...spec.context.map((c) => c.name), ...numeric, ...TAIL_COLUMNS];
}

/** The feature list a dataset config of the world declares (scenario-only columns as `scope: specific`). */
export function worldFeatures(spec: WorldSpec): Record<string, unknown>[] {
  return [
    ...['user_id', 'item_id', 'age_group', 'gender', 'city', 'category', 'brand'].map((name) => ({ name, kind: 'categorical' })),
    { name: 'price_level', kind: 'numeric', normalize: 'min-max' },
    { name: 'hour', kind: 'categorical' },
    { name: 'position', kind: 'categorical', scope: 'specific' },
    ...spec.context.map((c) => ({ name: c.name, kind: 'categorical', scope: 'specific' })),
    ...Array.from({ length: spec.numeric.count }, (_, j) => ({ name: `num_${j}`, kind: 'numeric', normalize: 'log' })),
  ];
}
