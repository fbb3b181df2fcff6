// docs/config.md, generated from the Zod schemas that validate the configs (z.toJSONSchema on their input side),
// so every key, type and default in the doc is the one the code accepts. `npm run docs:config` rewrites the file;
// test/docs/config-docs.test.ts fails when it is stale.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { datasetConfigSchema } from '../src/data/index.js';
import { MODELS } from '../src/models/index.js';
import { runConfigSchema, trainConfigSchema } from '../src/train/index.js';

export const CONFIG_DOC = join(dirname(fileURLToPath(import.meta.url)), '../docs/config.md');

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  minLength?: number;
}

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function bounds(s: JsonSchema): string {
  const lower = s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined && s.minimum !== -MAX_SAFE ? `≥ ${s.minimum}` : '';
  const upper = s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : s.maximum !== undefined && s.maximum !== MAX_SAFE ? `≤ ${s.maximum}` : '';
  return [lower, upper].filter(Boolean).join(', ');
}

/** A short human type: `integer > 0`, `"adam" | "sgd"`, `list of string`, `number or null`. */
function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const union = s.anyOf ?? s.oneOf;
  if (union) {
    const parts = union.filter((u) => u.type !== 'null').map(typeOf);
    const text = [...new Set(parts)].join(' or ');
    return union.some((u) => u.type === 'null') ? `${text} or null` : text;
  }
  if (s.type === 'array') {
    if (s.prefixItems) return `[${s.prefixItems.map(typeOf).join(', ')}]`;
    return `list of ${s.items ? typeOf(s.items) : 'anything'}${s.minItems ? ` (at least ${s.minItems})` : ''}`;
  }
  if (s.type === 'object') {
    if (s.properties) return 'object';
    return typeof s.additionalProperties === 'object' && Object.keys(s.additionalProperties).length > 0
      ? `map of name → ${typeOf(s.additionalProperties)}`
      : 'map';
  }
  if (s.type === undefined) return 'anything';
  const base = Array.isArray(s.type) ? s.type.join(' or ') : s.type;
  const range = bounds(s);
  return range ? `${base} ${range}` : base;
}

/** The variant name of an object in a union discriminated by a const property (e.g. `kind: ratio`). */
function discriminator(s: JsonSchema): string | null {
  for (const [key, prop] of Object.entries(s.properties ?? {})) if (prop.const !== undefined) return `${key}: ${String(prop.const)}`;
  return null;
}

function rows(schema: JsonSchema, prefix: string): Row[] {
  const out: Row[] = [];
  const required = new Set(schema.required ?? []);
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${key}`;
    const fallback = prop.default !== undefined ? `\`${JSON.stringify(prop.default)}\`` : required.has(key) ? '(required)' : '—';
    out.push({ key: path, type: typeOf(prop), default: fallback, description: prop.description ?? '' });
    out.push(...nested(prop, path));
  }
  return out;
}

/** The keys inside a key: an object's properties, a list's items, each variant of a discriminated union. */
function nested(prop: JsonSchema, path: string): Row[] {
  if (prop.properties) return rows(prop, `${path}.`);
  if (prop.type === 'array' && prop.items && (prop.items.properties || prop.items.oneOf || prop.items.anyOf)) return nested(prop.items, `${path}[]`);
  const variants = (prop.oneOf ?? prop.anyOf ?? []).filter((v) => v.properties);
  return variants.flatMap((v) => {
    const name = discriminator(v);
    return rows(v, name === null ? `${path}.` : `${path} (${name}).`);
  });
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(schema: z.ZodType, prefix = ''): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const lines = ['| key | type | default | meaning |', '|---|---|---|---|'];
  for (const r of rows(json, prefix)) {
    lines.push(`| \`${cell(r.key)}\` | ${r.type.includes('\\|') ? r.type : cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

export function renderConfigDocs(): string {
  const models = [...MODELS.values()].map((d) => `### \`models.${d.name}\`\n\n${d.description}\n\n${table(d.config)}\n`);
  return `# Configuration reference

Generated from the Zod schemas that validate the configs (\`npm run docs:config\`; a test fails when this file is
stale). A key marked — has no default and may be left out; keys not listed here are errors (E_CONFIG_UNKNOWN_KEY).
YAML and JSON are both accepted. [docs/data.md](data.md) explains the dataset options and
[docs/models.md](models.md) the models; \`optmsm models\` prints the model options with their defaults.

## Experiment (run) config: \`configs/experiments/*.yaml\`

What \`optmsm train|bench --config\` and the library's \`train\`/\`bench\` take (a bare dataset config also works and
trains with the defaults below). \`train\` is the next section; \`models.<name>\` the last.

${table(runConfigSchema)}

## Training options: \`train:\`

${table(trainConfigSchema, 'train.')}

## Dataset config: \`configs/datasets/*.yaml\`

${table(datasetConfigSchema)}

## Model options: \`models.<name>:\`

${models.join('\n')}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(CONFIG_DOC, renderConfigDocs());
  process.stdout.write(`written: ${CONFIG_DOC}\n`);
}
