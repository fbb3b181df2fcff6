// docs/config.md is generated from the config schemas; when a key is added or a default changes, this fails
// until the doc is regenerated.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC, renderConfigDocs } from '../../scripts/config-docs.js';

describe('docs/config.md', () => {
  const doc = renderConfigDocs();

  it('is what the schemas generate (stale? run `npm run docs:config` and commit docs/config.md)', () => {
    const committed = readFileSync(CONFIG_DOC, 'utf8');
    expect(committed === doc, 'docs/config.md is stale: run `npm run docs:config` and commit docs/config.md').toBe(true);
  });

  it('lists keys of every config with their defaults', () => {
    for (const row of [
      '| `seeds` | list of integer ≥ 0 (at least 1) | `[2022,2023,2024]` |',
      '| `train.batch_size` | integer > 0 | `4096` |',
      '| `train.early_stopping.patience` | integer ≥ 0 | `4` |',
      '| `split (kind: ratio).seed` | integer ≥ 0 | `0` |',
      '| `embedding_dim` | integer > 0 | `16` |',
      '| `lambda_orth` |',
    ]) expect(doc).toContain(row);
    expect(doc).toContain('### `models.optmsm`');
  });
});
