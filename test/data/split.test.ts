// Ratio splits that skipped rows cannot move (issue 13): a row's split depends on its own key only, the value of
// split.key or its position in the input counted before any row is skipped, by the formula docs/data.md states.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keySplitOf, parseDatasetConfig, prepareDataset, ratioSplitOf, type EncodedColumns, type PreparedDataset } from '../../src/data/index.js';
import { sharedData, tempDir } from './helpers.js';

const dir = tempDir();
const ROWS = 2000;
const RATIOS: [number, number, number] = [0.7, 0.15, 0.15];

/** `ROWS` rows with an id (= position), a categorical, a numeric and a multi-line quoted cell now and then. */
function rows(): string[] {
  return Array.from({ length: ROWS }, (_, i) => `${i},u${i % 37},${(i * 7) % 100 / 10},${i % 50 === 0 ? '"two\nlines"' : `n${i % 5}`},s${i % 3},${i % 4 === 0 ? 1 : 0}`);
}
const HEADER = 'id,user,x,note,scen,y';

function config(file: string, split: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return parseDatasetConfig({
    name: 'split', files: file, label: 'y', scenario: 'scen', split: { kind: 'ratio', ratios: RATIOS, ...split },
    features: [{ name: 'user', kind: 'categorical' }, { name: 'x', kind: 'numeric' }, { name: 'note', kind: 'categorical' }],
    extra_columns: ['id'], ...extra,
  }, 'split.yaml', dir);
}

/** Split of each id (row key) in a prepared dataset. */
function splitOfIds(data: PreparedDataset, column = 'id'): Map<number, number> {
  const out = new Map<number, number>();
  (['train', 'validation', 'test'] as const).forEach((s, k) => {
    const ids = (data[s] as EncodedColumns).extra[column] as Float64Array;
    for (const id of ids) out.set(id, k);
  });
  return out;
}

// The formulas exactly as docs/data.md writes them, independent of src/.
const fmix32 = (h: bigint): bigint => {
  const M = 0xffffffffn;
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & M;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & M;
  return h ^ (h >> 16n);
};
const documentedPositionSplit = (p: number, seed: number): number => {
  const u = Number(fmix32((BigInt(p) + BigInt(seed) * 0x9e3779b9n) % 2n ** 32n)) / 2 ** 32;
  return u < RATIOS[0] ? 0 : u < RATIOS[0] + RATIOS[1] ? 1 : 2;
};
const documentedKeySplit = (key: string, seed: number): number => {
  const u = Number.parseInt(createHash('md5').update(`${seed}:${key}`, 'utf8').digest('hex').slice(0, 8), 16) / 2 ** 32;
  return u < RATIOS[0] ? 0 : u < RATIOS[0] + RATIOS[1] ? 1 : 2;
};

describe('ratio splits', () => {
  const good = join(dir, 'good.csv');
  writeFileSync(good, `${HEADER}\n${rows().join('\n')}\n`);

  it('follow the documented formula, by position and by key, in SQL and in the JavaScript twins', async () => {
    const bySeed = splitOfIds(await prepareDataset(config(good, { seed: 5 }), { cache: false }));
    for (let p = 0; p < ROWS; p++) {
      expect(bySeed.get(p), `position ${p}`).toBe(documentedPositionSplit(p, 5));
      expect(ratioSplitOf(p, 5, RATIOS)).toBe(documentedPositionSplit(p, 5));
    }
    const byKey = splitOfIds(await prepareDataset(config(good, { seed: 3, key: 'user' }), { cache: false }));
    for (let p = 0; p < ROWS; p++) {
      expect(byKey.get(p), `row ${p}`).toBe(documentedKeySplit(`u${p % 37}`, 3));
      expect(keySplitOf(`u${p % 37}`, 3, RATIOS)).toBe(documentedKeySplit(`u${p % 37}`, 3));
    }
    // Rows sharing a key share a split.
    expect(new Set([...byKey].filter(([id]) => id % 37 === 4).map(([, s]) => s)).size).toBe(1);
  });

  it('a skipped row leaves every other row in its split (CSV with a blank line and quoted newlines before it, and JSONL)', async () => {
    const before = splitOfIds(await prepareDataset(config(good, { seed: 1 }), { cache: false }));
    const lines = rows();
    lines[499] = lines[499]!.replace(/^(\d+,u\d+,)[^,]+/, '$1not-a-number'); // id 499: x does not parse
    lines[1200] = `${lines[1200]},one,too,many`; // id 1200: wrong column count
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, `${HEADER}\n${lines.slice(0, 300).join('\n')}\n\n${lines.slice(300).join('\n')}\n`);
    const skipped = await prepareDataset(config(bad, { seed: 1 }, { on_bad_row: 'skip' }), { cache: false });
    expect(skipped.report.skippedRows).toBe(2);
    const after = splitOfIds(skipped);
    expect(after.size).toBe(ROWS - 2);
    for (const [id, split] of after) expect(split, `id ${id}`).toBe(before.get(id));

    const json = (i: number) => JSON.stringify({ id: i, user: `u${i % 37}`, x: ((i * 7) % 100) / 10, note: `n${i % 5}`, scen: `s${i % 3}`, y: i % 4 === 0 ? 1 : 0 });
    const jsonl = Array.from({ length: ROWS }, (_, i) => (i === 700 ? '{"id": 700, broken' : json(i)));
    writeFileSync(join(dir, 'good.jsonl'), `${Array.from({ length: ROWS }, (_, i) => json(i)).join('\n')}\n`);
    writeFileSync(join(dir, 'bad.jsonl'), `${jsonl.join('\n')}\n`);
    const full = splitOfIds(await prepareDataset(config(join(dir, 'good.jsonl'), { seed: 1 }), { cache: false }));
    const dropped = await prepareDataset(config(join(dir, 'bad.jsonl'), { seed: 1 }, { on_bad_row: 'skip' }), { cache: false });
    expect(dropped.report.badRows.map((b) => b.line)).toEqual([701]);
    const rest = splitOfIds(dropped);
    expect(rest.size).toBe(ROWS - 1);
    for (const [id, split] of rest) expect(split, `id ${id}`).toBe(full.get(id));
  });
});

const ml100k = join(sharedData, 'ml-100k/ml100k_ctr.csv');

describe.skipIf(!existsSync(ml100k))('MovieLens-100k under a ratio split', () => {
  it('one unparseable row at line 501, skipped, moves no other row between splits', async () => {
    const raw = parseDatasetConfig({
      name: 'ml100k-ratio', files: ml100k, label: 'label', scenario: 'domain', split: { kind: 'ratio', ratios: [0.8, 0.1, 0.1], seed: 0 },
      features: [{ name: 'user_id', kind: 'categorical' }, { name: 'item_id', kind: 'categorical' }, { name: 'age', kind: 'numeric' }],
      extra_columns: ['user_id', 'item_id'], on_bad_row: 'skip',
    }, 'ml100k-ratio.yaml', dir);
    const pairs = (data: PreparedDataset) => {
      const out = new Map<string, number>();
      (['train', 'validation', 'test'] as const).forEach((s, k) => {
        const users = data[s].extra.user_id as Float64Array;
        const items = data[s].extra.item_id as Float64Array;
        users.forEach((u, r) => out.set(`${u}:${items[r]}`, k));
      });
      return out;
    };
    const before = pairs(await prepareDataset(raw, { cache: false }));
    const copy = join(dir, 'ml100k-bad.csv');
    copyFileSync(ml100k, copy);
    const lines = readFileSync(copy, 'utf8').split('\n');
    const header = lines[0]!.split(',');
    const cells = lines[500]!.split(',');
    cells[header.indexOf('age')] = 'unknown';
    lines[500] = cells.join(',');
    writeFileSync(copy, lines.join('\n'));
    const skipped = await prepareDataset({ ...raw, files: [copy] }, { cache: false });
    expect(skipped.report.badRows.map((b) => b.line)).toEqual([501]);
    const after = pairs(skipped);
    expect(after.size).toBe(before.size - 1);
    let moved = 0;
    for (const [pair, split] of after) if (before.get(pair) !== split) moved++;
    expect(moved).toBe(0);
    expect(skipped.test.rows).toBeGreaterThan(9000);
  });
});
