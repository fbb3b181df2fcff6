import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlLog, readJsonl, rewriteJsonl } from '../../src/train/jsonl-log.js';

const dir = mkdtempSync(join(tmpdir(), 'optmsm-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JsonlLog', () => {
  it('appends one line per entry, readable after each append', () => {
    const path = join(dir, 'log.jsonl');
    const log = JsonlLog.open(path, { truncate: true });
    log.append({ epoch: 1, loss: 0.5, validation: { auc: 0.7 } });
    expect(readFileSync(path, 'utf8')).toBe('{"epoch":1,"loss":0.5,"validation":{"auc":0.7}}\n');
    log.append({ epoch: 2, loss: 0.45, validation: { auc: null } });
    log.close();
    expect(() => log.append({ epoch: 3 })).toThrow('is closed');
    const again = JsonlLog.open(path);
    again.append({ epoch: 3 });
    again.close();
    expect(readJsonl(path)).toEqual({
      entries: [{ epoch: 1, loss: 0.5, validation: { auc: 0.7 } }, { epoch: 2, loss: 0.45, validation: { auc: null } }, { epoch: 3 }],
      tornTail: false,
    });
  });

  it('drops a torn last line and rewrites the log', () => {
    const path = join(dir, 'torn.jsonl');
    writeFileSync(path, '{"epoch":1}\n{"epoch":2}\n');
    appendFileSync(path, '{"epoch":3,"lo');
    const { entries, tornTail } = readJsonl(path);
    expect([entries, tornTail]).toEqual([[{ epoch: 1 }, { epoch: 2 }], true]);
    rewriteJsonl(path, entries.slice(0, 1));
    expect(readFileSync(path, 'utf8')).toBe('{"epoch":1}\n');
  });

  it('reports a corrupt line with its line number', () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"epoch":1}\nnot json\n{"epoch":3}\n');
    expect(() => readJsonl(path)).toThrow('the training log has a corrupt line');
    try {
      readJsonl(path);
    } catch (err) {
      expect((err as { location: string }).location).toBe(`${path}:2`);
    }
    writeFileSync(path, '[1,2]\n');
    expect(() => readJsonl(path)).toThrow('corrupt line');
    expect(() => readJsonl(join(dir, 'missing.jsonl'))).toThrow('cannot read the training log');
  });
});
