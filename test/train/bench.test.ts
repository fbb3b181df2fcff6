import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunConfig, runBench } from '../../src/train/index.js';
import { writeTinyDataset, writeTinyRunConfig } from '../helpers/tiny-dataset.js';

describe('bench', () => {
  it('trains models x seeds into one table and resumes from finished runs', async () => {
    const dataset = writeTinyDataset(600);
    const config = loadRunConfig(writeTinyRunConfig(dataset, { epochs: 1 }));
    const out = join(dataset.dir, 'bench');
    const lines: string[] = [];
    const options = { config, models: ['optmsm', 'shared-bottom'], seeds: [1, 2], ablations: false, out, log: (l: string) => lines.push(l) };
    const progress = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
    const first = await runBench({ ...options, progress });
    expect(first.runs).toHaveLength(4);
    expect(first.summary.rows.map((r) => r.label)).toEqual(['optmsm', 'shared-bottom']);
    expect(first.markdown).toContain('| optmsm |');
    expect(first.markdown).toMatch(/± /);
    const json = JSON.parse(readFileSync(first.files.json, 'utf8'));
    expect(json.runs).toHaveLength(4);
    expect(existsSync(join(out, 'tiny.shared-bottom', 'seed-2', 'metrics.json'))).toBe(true);

    lines.length = 0;
    const second = await runBench({ ...options, progress });
    expect(lines.filter((l) => l.includes('done before'))).toHaveLength(4);
    expect(second.summary).toEqual(first.summary);
  });

  it('rejects an unknown model before training anything', async () => {
    const dataset = writeTinyDataset(300);
    const config = loadRunConfig(writeTinyRunConfig(dataset, { epochs: 1 }));
    await expect(
      runBench({ config, models: ['optmsm', 'nope'], seeds: [1], ablations: false, out: join(dataset.dir, 'b') }),
    ).rejects.toMatchObject({ code: 'E_MODEL_UNKNOWN' });
  });
});
