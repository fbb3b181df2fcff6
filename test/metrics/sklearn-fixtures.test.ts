// Compares against scikit-learn values stored by test/fixtures/metrics/make-fixtures.py.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateByScenario, groupAuc, logLoss, rocAuc } from '../../src/metrics/index.js';

interface Expected {
  auc: number | null;
  logloss: number | null;
  gauc: number | null;
}
interface Case {
  name: string;
  pred: number[];
  label: number[];
  group: number[];
  scenario: number[];
  num_scenarios: number;
  expected: Expected & { scenarios: Record<string, Expected & { rows: number; positives: number }> };
}

const file = fileURLToPath(new URL('../fixtures/metrics/metrics-fixtures.json', import.meta.url));
const { cases } = JSON.parse(readFileSync(file, 'utf8')) as { cases: Case[] };

const close = (actual: number | null | undefined, expected: number | null) => {
  if (expected === null) expect(actual).toBeNull();
  else expect(Math.abs((actual ?? NaN) - expected)).toBeLessThan(1e-9);
};

describe.each(cases)('scikit-learn fixture $name', (c) => {
  const pred = Float64Array.from(c.pred);
  const label = Uint8Array.from(c.label);
  const group = Int32Array.from(c.group);

  it('matches roc_auc_score, log_loss and the numpy gAUC overall', () => {
    close(rocAuc(pred, label).auc, c.expected.auc);
    close(logLoss(pred, label), c.expected.logloss);
    close(groupAuc(pred, label, group).gauc, c.expected.gauc);
    // The same scores as float32 (the fixture values are float32 in 'float32-extremes').
    if (c.name === 'float32-extremes') close(rocAuc(Float32Array.from(c.pred), label).auc, c.expected.auc);
  });

  it('matches per scenario', () => {
    const values = Array.from({ length: c.num_scenarios }, (_, k) => String(k));
    const r = evaluateByScenario(pred, label, Int32Array.from(c.scenario), values, { groups: group });
    close(r.auc, c.expected.auc);
    close(r.gauc, c.expected.gauc);
    for (const [key, e] of Object.entries(c.expected.scenarios)) {
      const s = r.scenarios[key];
      expect([s.rows, s.positives]).toEqual([e.rows, e.positives]);
      close(s.auc, e.auc);
      close(s.logloss, e.logloss);
      close(s.gauc, e.gauc);
    }
  });
});
