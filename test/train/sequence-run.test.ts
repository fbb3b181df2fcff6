// A behaviour sequence end to end: a history derived from an event log trains (DIN pooling for shared-bottom,
// SAR-Net's own), the saved model.onnx scores the history given as a list or a joined string alike, and the server takes it in
// the request as a JSON list or a joined string.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, predictResponseSchema } from '../../src/serve/index.js';
import { loadRun, loadRunConfig, runTraining, scoreColumns } from '../../src/train/index.js';

const dir = mkdtempSync(join(tmpdir(), 'optmsm-seqrun-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeData(): void {
  let state = 7;
  const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const lines = ['user,item,t,page,label,split'];
  for (let i = 0; i < 600; i++) {
    const user = Math.floor(rand() * 25);
    const item = Math.floor(rand() * 15);
    // Users like items of their own parity: the history says which parity a user has.
    const label = rand() < ((user + item) % 2 === 0 ? 0.8 : 0.2) ? 1 : 0;
    lines.push(`u${user},i${item},${i},${['home', 'search'][i % 2]},${label},${i % 10 < 8 ? 'train' : i % 10 === 8 ? 'val' : 'test'}`);
  }
  writeFileSync(join(dir, 'events.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'data.yaml'), [
    'name: events', 'files: events.csv', 'label: label', 'scenario: page', 'split: { kind: column, column: split }', 'embedding_dim: 4',
    'histories:', '  - { name: earlier_items, key: user, time: t, values: item, max_len: 5 }',
    'features:', '  - { name: user, kind: categorical }', '  - { name: item, kind: categorical }',
    '  - { name: earlier_items, kind: sequence, vocabulary: item, max_len: 5 }', '',
  ].join('\n'));
}

describe.each([
  ['shared-bottom', '{ bottom_hidden: [8], tower_hidden: [4] }'],
  ['sar-net', '{ shared_experts: 2, specific_experts: 1, expert_hidden: [4], hidden: [4] }'],
])('%s on a derived history', (model, options) => {
  it('trains; model.onnx scores a history given as a list or a joined string alike, and the server as model.onnx', async () => {
    writeData();
    writeFileSync(join(dir, `${model}.yaml`), [
      'dataset: data.yaml', `model: ${model}`, 'seeds: [1]', 'models:', `  ${model}: ${options}`, 'train: { epochs: 2, batch_size: 64 }', '',
    ].join('\n'));
    const out = join(dir, `run-${model}`);
    const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
    const outcome = await runTraining({ config: loadRunConfig(join(dir, `${model}.yaml`)), out, log: () => {}, progress: quiet });
    expect(Number.isFinite(outcome.metrics.test.auc)).toBe(true);

    const saved = await loadRun(out);
    const rows = [
      { user: 'u3', item: 'i5', page: 'home', earlier_items: ['i1', 'i3', 'i9'] },
      { user: 'u3', item: 'i5', page: 'home', earlier_items: 'i1|i3|i9' },
      { user: 'u4', item: 'i2', page: 'search', earlier_items: [] },
    ];
    const expected = await scoreColumns(saved, saved.encoder.encodeRows(rows));
    expect(expected[0]).toBe(expected[1]);
    await saved.session.release();
    const served = await buildApp({ run: out, workers: 0, logLevel: 'silent' });
    await served.ready;
    const response = await served.app.inject({ method: 'POST', url: '/predict', payload: { rows }, headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(200);
    predictResponseSchema.parse(response.json()).predictions.forEach((p, i) => expect(p.probability).toBe(expected[i]));
    await served.app.close();
  });
});
