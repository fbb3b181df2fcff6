// A tiny served run: 3 scenarios (page), two categorical ids, a multi-valued `tags` column and a numeric price,
// trained for one epoch (a few seconds). `users` sets the user vocabulary, so two runs can differ only in the
// size of one embedding table.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRunConfig, runTraining } from '../../src/train/index.js';

export const ROW = { user: 'u1', item: 'i3', tags: 'red|big', price: 12.5, page: 'home' } as const;

export async function trainServedRun(options: { rows?: number; users?: number } = {}): Promise<string> {
  const { rows = 400, users = 30 } = options;
  const dir = mkdtempSync(join(tmpdir(), 'optmsm-serve-'));
  let state = 99;
  const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const tags = ['red', 'blue', 'big', 'small', 'new'];
  const lines = ['user,item,tags,price,page,label,split'];
  for (let i = 0; i < rows; i++) {
    const user = Math.floor(rand() * users);
    const tag = `${tags[Math.floor(rand() * 5)]}|${tags[Math.floor(rand() * 5)]}`;
    const label = rand() < (user % 3 === 0 ? 0.7 : 0.3) ? 1 : 0;
    lines.push(`u${user},i${Math.floor(rand() * 20)},${tag},${(rand() * 100).toFixed(2)},${['home', 'search', 'detail'][i % 3]},${label},${i % 10 < 8 ? 'train' : i % 10 === 8 ? 'val' : 'test'}`);
  }
  writeFileSync(join(dir, 'data.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'data.yaml'), [
    'name: served', 'files: data.csv', 'label: label', 'scenario: page', 'split: { kind: column, column: split }', 'embedding_dim: 4', 'features:',
    '  - { name: user, kind: categorical }', '  - { name: item, kind: categorical }',
    "  - { name: tags, kind: multi, separator: '|', max_len: 3 }", '  - { name: price, kind: numeric, normalize: standard }', '',
  ].join('\n'));
  writeFileSync(join(dir, 'run.yaml'), [
    'dataset: data.yaml', 'model: shared-bottom', 'seeds: [1]', 'models:', '  shared-bottom: { bottom_hidden: [8], tower_hidden: [4] }',
    'train: { epochs: 1, batch_size: 64 }', '',
  ].join('\n'));
  const run = join(dir, 'run');
  const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
  await runTraining({ config: loadRunConfig(join(dir, 'run.yaml')), out: run, log: () => {}, progress: quiet });
  return run;
}
