// The `sequence` feature kind: ids sharing a categorical field's vocabulary, read from a column (a separator-joined
// string, or a list in JSONL) or derived from the rows as an event log; padding, unseen ids, the last max_len ids,
// and a derivation that only ever sees strictly earlier events.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OOV_ID, PAD_ID, parseDatasetConfig, prepareDataset, type DatasetConfigInput, type PreparedDataset } from '../../src/data/index.js';
import { optmsmError, tempDir } from './helpers.js';

const dir = tempDir('optmsm-seq-');

// User a: items x (t 1), y (t 2), z (t 2, the same instant as y), x (t 3); user b: w (t 1), x (t 5).
// `recent` is a given history column; item q appears only there (never as an item: an unseen id).
const EVENTS = [
  ['u', 'item', 't', 'recent', 'label', 'scn', 'split'],
  ['a', 'x', '1', '', '1', 's0', 'train'],
  ['a', 'y', '2', 'x', '0', 's1', 'train'],
  ['b', 'w', '1', 'q|x', '1', 's0', 'train'],
  ['a', 'z', '2', 'x|y|w', '1', 's0', 'val'],
  ['a', 'x', '3', 'q', '0', 's1', 'test'],
  ['b', 'x', '5', 'w|x|y|z', '1', 's1', 'train'],
];

function config(overrides: Partial<DatasetConfigInput> = {}): DatasetConfigInput {
  return {
    name: 'seq',
    files: 'events.csv',
    label: 'label',
    scenario: 'scn',
    split: { kind: 'column', column: 'split', train: ['train'], validation: ['val'], test: ['test'] },
    embedding_dim: 4,
    features: [
      { name: 'item', kind: 'categorical' },
      { name: 'history', kind: 'sequence', vocabulary: 'item', max_len: 2 },
      { name: 'recent', kind: 'sequence', vocabulary: 'item', max_len: 3, pooling: 'mean' },
    ],
    histories: [{ name: 'history', key: 'u', time: 't', values: 'item', max_len: 2 }],
    ...overrides,
  };
}

async function prepare(raw: DatasetConfigInput): Promise<PreparedDataset> {
  writeFileSync(join(dir, 'events.csv'), `${EVENTS.map((r) => r.join(',')).join('\n')}\n`);
  return prepareDataset(parseDatasetConfig(raw, 'seq.yaml', dir), { cache: false });
}

/** The ids of a split's sequence field, one list per row (padding dropped), as the item names they encode. */
function names(data: PreparedDataset, split: 'train' | 'validation' | 'test', field: string): string[][] {
  const f = data.fields.find((g) => g.name === field)!;
  const item = data.encoder.state.fields.find((g) => g.name === 'item')!;
  const vocab = item.source === 'categorical' ? item.vocab! : [];
  const ids = data[split].ids[field]!;
  return Array.from({ length: data[split].rows }, (_, r) => [...ids.subarray(r * f.maxLen, (r + 1) * f.maxLen)]
    .filter((id) => id !== PAD_ID).map((id) => (id === OOV_ID ? '<oov>' : vocab[id - 2]!)));
}

describe('sequence features', () => {
  it('derive a history from strictly earlier events per key, oldest first, the last max_len of them', async () => {
    const data = await prepare(config());
    // train rows in file order: a@1, a@2, b@1, b@5. a@2 does not see z (same instant); b@5 sees only w.
    expect(names(data, 'train', 'history')).toEqual([[], ['x'], [], ['w']]);
    // a@2 (validation, z) sees x only; a@3 (test) sees x, then y and z at t 2 (ties ordered by code), the last 2;
    // z is an item of a validation row only, so outside the training vocabulary: OOV.
    expect(names(data, 'validation', 'history')).toEqual([['x']]);
    const test = names(data, 'test', 'history')[0]!;
    expect(test.length).toBe(2);
    expect(new Set(test)).toEqual(new Set(['y', '<oov>']));
  });

  it('share the vocabulary field: its embedding table, size and width; unseen ids are OOV; padding is id 0', async () => {
    const data = await prepare(config());
    const item = data.fields.find((f) => f.name === 'item')!;
    const recent = data.fields.find((f) => f.name === 'recent')!;
    expect(recent).toMatchObject({ kind: 'sequence', vocabulary: 'item', vocabSize: item.vocabSize, embeddingDim: 4, maxLen: 3, pooling: 'mean' });
    // q was never an item in training (z only in validation): OOV. The last 3 of w|x|y|z are x, y, z.
    expect(names(data, 'train', 'recent')).toEqual([[], ['x'], ['<oov>', 'x'], ['x', 'y', '<oov>']]);
    expect([...data.train.ids.recent!.subarray(0, 3)]).toEqual([PAD_ID, PAD_ID, PAD_ID]);
  });

  it('read a sequence given as a list in JSON lines as the same ids as a joined string', async () => {
    const csv = await prepare(config());
    const [header, ...rows] = EVENTS;
    const lines = rows.map((r) => JSON.stringify(Object.fromEntries(header!.map((h, k) => [h, h === 'recent' ? r[k]!.split('|').filter(Boolean) : r[k]]))));
    writeFileSync(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
    const jsonl = await prepareDataset(parseDatasetConfig(config({ files: 'events.jsonl' }), 'seq.yaml', dir), { cache: false });
    for (const split of ['train', 'validation', 'test'] as const) expect(jsonl[split].ids).toEqual(csv[split].ids);
  });

  it('encode request rows as training did: lists or joined strings, the last max_len ids', async () => {
    const data = await prepare(config());
    const rows = data.encoder.encodeRows([
      { scn: 's0', item: 'x', history: ['w', 'x', 'y'], recent: 'q|x' },
      { scn: 's1', item: 'y', history: [], recent: null },
    ]);
    const ids = (f: string) => [...rows.ids[f]!];
    const id = (v: string) => data.encoder.categoricalId(data.encoder.state.fields.findIndex((f) => f.name === 'item'), v);
    expect(ids('history')).toEqual([id('x'), id('y'), PAD_ID, PAD_ID]);
    expect(ids('recent')).toEqual([OOV_ID, id('x'), PAD_ID, PAD_ID, PAD_ID, PAD_ID]);
  });

  it('name what is wrong in the config', async () => {
    const notCategorical = await optmsmError(() => parseDatasetConfig(config({
      features: [{ name: 'item', kind: 'categorical' }, { name: 'history', kind: 'sequence', vocabulary: 'nope' }],
    }), 'seq.yaml', dir));
    expect(notCategorical).toMatchObject({ code: 'E_CONFIG_INVALID', location: 'seq.yaml: features.1.vocabulary' });
    const otherValues = await optmsmError(() => parseDatasetConfig(config({
      features: [{ name: 'item', kind: 'categorical' }, { name: 'u', kind: 'categorical' }, { name: 'history', kind: 'sequence', vocabulary: 'u' }],
    }), 'seq.yaml', dir));
    expect(otherValues.message).toMatch(/reads history 'history' of column 'item'/);
  });
});
