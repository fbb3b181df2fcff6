// The request contract's fast path: a body skips Zod only when its plain type tests pass, so each cell kind's
// test must accept exactly what its schema accepts, and a whole body the fast path takes must pass the schema.
import { describe, expect, it } from 'vitest';
import { CELL_KINDS, rowContract } from '../../src/serve/rows.js';
import { parseDatasetConfig, prepareDataset } from '../../src/data/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CELLS: unknown[] = [
  'a', '', '12', 0, -1.5, 1e300, true, false, null, undefined, [], ['a', 1, true], ['a', null], [['a']], [{}],
  {}, { a: 1 }, () => 1, Symbol('s'), 10n, Number.NaN, Number.POSITIVE_INFINITY,
];

describe('cell kinds', () => {
  it.each(Object.entries(CELL_KINDS))('%s: the plain test accepts exactly what the schema accepts', (_kind, { schema, accepts }) => {
    const zod = schema(() => 'bad');
    for (const v of CELLS) expect([v, accepts(v)]).toEqual([v, zod.safeParse(v).success]);
  });
});

describe('rowContract.accepts', () => {
  it('takes only bodies the Zod schema takes, and the usual ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optmsm-rows-'));
    const lines = Array.from({ length: 40 }, (_, i) => `s${i % 2},${'xy'[i % 3 % 2]},${['a|b', '', 'b'][i % 3]},${i % 5 === 0 ? '' : i / 4},${i % 2}`);
    writeFileSync(join(dir, 'd.csv'), `scn,item,tags,price,label\n${lines.join('\n')}\n`);
    const config = parseDatasetConfig({
      name: 'rows', files: 'd.csv', label: 'label', scenario: 'scn',
      split: { kind: 'ratio', ratios: [0.5, 0.25, 0.25], seed: 1 },
      features: [{ name: 'item', kind: 'categorical' }, { name: 'tags', kind: 'multi', separator: '|', max_len: 2 }, { name: 'price', kind: 'numeric', fill: 0 }],
    }, 'rows.yaml', dir);
    const { encoder } = await prepareDataset(config, { cache: false });
    const contract = rowContract(encoder, 3);
    const row = { scn: 's0', item: 'x', tags: ['a', 'b'], price: 1.5 };
    const bodies: unknown[] = [
      { rows: [row] }, { rows: [row, { ...row, tags: 'a|b', price: '2', label: 1 }] }, { rows: [{ ...row, extra: 'k' }] },
      { rows: [row, row, row, row] }, { rows: [] }, { rows: [row], more: 1 }, { rows: [{ ...row, item: undefined }] },
      { rows: [{ scn: 's0', tags: null, price: null }] }, { rows: [{ ...row, tags: [['a']] }] }, { rows: [{ ...row, label: {} }] },
      { rows: [null] }, { rows: [[row]] }, { rows: row }, [row], null, 'rows',
    ];
    for (const body of bodies) expect([body, contract.accepts(body)]).toEqual([body, contract.request.safeParse(body).success]);
    expect(bodies.filter((b) => contract.accepts(b))).toHaveLength(3);
  });
});
