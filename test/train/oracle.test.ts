// The oracle comes from the column the dataset config names (oracle_column), under any name; naming a column the
// data does not have is an error, not a silently missing oracle row.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../src/data/index.js';
import { OptmsmError } from '../../src/errors.js';
import { loadData, loadRunConfig, runTraining } from '../../src/train/index.js';
import { writeTinyDataset } from '../helpers/tiny-dataset.js';

const quiet = { log: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream };

describe('oracle_column', () => {
  const dir = writeTinyDataset(10).dir;

  async function configWith(oracleLine: string): Promise<string> {
    const data = join(dir, 'synth.csv');
    const generated = join(dir, 'synth.yaml');
    await generateSynthetic({ output: data, rows: 4000, users: 60, items: 40, configFile: generated });
    // The user's own file: the probability column renamed, no generator block.
    writeFileSync(data, readFileSync(data, 'utf8').replace('true_prob', 'p_click'));
    const yaml = readFileSync(generated, 'utf8').split('\n').filter((l) => !l.startsWith('synthetic:') && !l.startsWith('extra_columns:'));
    const file = join(dir, `synth-${oracleLine.length}.yaml`);
    writeFileSync(file, `${[...yaml, oracleLine].join('\n')}\n`);
    return file;
  }

  it('names the true-probability column: the oracle is in metrics.json and the report', async () => {
    const config = loadRunConfig(await configWith('oracle_column: p_click'));
    expect(config.dataset.oracleColumn).toBe('p_click');
    const { metrics, report } = await runTraining({ config, model: 'shared-bottom', seed: 1, epochs: 1, out: join(dir, 'run'), ...quiet });
    expect(metrics.oracle?.auc).toBeGreaterThan(0.6);
    expect(Object.keys(metrics.oracle?.scenarios ?? {})).toEqual(Object.keys(metrics.test.scenarios));
    expect(readFileSync(report, 'utf8')).toContain('<th class="num">oracle AUC</th>');
  });

  it('naming a column the data lacks is an error naming it', async () => {
    const config = loadRunConfig(await configWith('oracle_column: p_true'));
    const failure = await loadData(config).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OptmsmError);
    expect((failure as OptmsmError).code).toBe('E_DATA_MISSING_COLUMN');
    expect((failure as OptmsmError).message).toContain('p_true');
  });

  it('without it, data without true_prob has no oracle', async () => {
    const tiny = writeTinyDataset(300);
    const config = loadRunConfig(tiny.config);
    expect(config.dataset.oracleColumn).toBeNull();
    const { metrics } = await runTraining({ config, model: 'shared-bottom', seed: 1, epochs: 1, out: join(tiny.dir, 'run'), ...quiet });
    expect(metrics.oracle).toBeUndefined();
  });
});
