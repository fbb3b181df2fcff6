import { describe, expect, it } from 'vitest';
import { priorLogit } from '../../src/train/trainer.js';

const columns = (label: number[], scenario: number[]) => ({ rows: label.length, label: Uint8Array.from(label), scenario: Int32Array.from(scenario) });

describe('priorLogit', () => {
  it('is off for none', () => {
    expect(priorLogit('none', columns([1, 0], [0, 0]), 1)).toBeUndefined();
  });
  it('global: log-odds of the click rate with one pseudo-click and one pseudo-skip', () => {
    // 3 clicks in 10 rows: log((3 + 1) / (7 + 1))
    const data = columns([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    const [value, ...rest] = priorLogit('global', data, 3)!;
    expect(rest).toEqual([]);
    expect(value).toBeCloseTo(Math.log(4 / 8), 12);
  });
  it('scenario: one value per scenario, finite for a scenario without clicks or without rows', () => {
    // scenario 0: 2 of 4 clicked; scenario 1: 0 of 3; scenario 2: no rows
    const data = columns([1, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1]);
    const values = priorLogit('scenario', data, 3)!;
    expect(values).toHaveLength(3);
    expect(values[0]).toBeCloseTo(Math.log(3 / 3), 12);
    expect(values[1]).toBeCloseTo(Math.log(1 / 4), 12);
    expect(values[2]).toBeCloseTo(0, 12);
  });
});
