import { describe, expect, it } from 'vitest';
import { EarlyStopping, earlyStoppingSchema } from '../../src/train/early-stopping.js';

describe('EarlyStopping', () => {
  it('has defaults matching the training config', () => {
    expect(earlyStoppingSchema.parse({})).toEqual({ patience: 4, minDelta: 0 });
    expect(() => earlyStoppingSchema.parse({ patience: 2, min_detla: 0.1 })).toThrow();
  });

  it('stops after patience epochs without an improvement larger than min_delta', () => {
    const es = new EarlyStopping(earlyStoppingSchema.parse({ patience: 2, min_delta: 0.001 }));
    const trace = [0.70, 0.72, 0.7205, 0.73, 0.729, 0.7305].map((auc, epoch) => es.update(epoch, auc));
    expect(trace).toEqual([
      { improved: true, stop: false },
      { improved: true, stop: false },
      { improved: false, stop: false }, // +0.0005 is within min_delta
      { improved: true, stop: false },
      { improved: false, stop: false },
      { improved: false, stop: true },
    ]);
    expect([es.bestEpoch, es.bestAuc, es.stopped]).toEqual([3, 0.73, true]);
  });

  it('never counts an undefined AUC as an improvement', () => {
    const es = new EarlyStopping({ patience: 2, minDelta: 0 });
    expect(es.update(0, null)).toEqual({ improved: false, stop: false });
    expect(es.bestEpoch).toBeNull();
    expect(es.update(1, 0.6)).toEqual({ improved: true, stop: false });
    expect(es.update(2, null).stop).toBe(false);
    expect(es.update(3, null).stop).toBe(true);
  });

  it('resumes from its JSON state with the same decisions', () => {
    const config = { patience: 3, minDelta: 0 };
    const a = new EarlyStopping(config);
    a.update(0, 0.7);
    a.update(1, 0.69);
    const b = new EarlyStopping(config, JSON.parse(JSON.stringify(a.getState())));
    for (const [epoch, auc] of [[2, 0.68], [3, 0.71], [4, 0.7]] as const) expect(b.update(epoch, auc)).toEqual(a.update(epoch, auc));
    expect(b.getState()).toEqual(a.getState());
  });

  it('rejects a malformed saved state', () => {
    expect(() => new EarlyStopping({ patience: 1, minDelta: 0 }, { bestEpoch: 1 } as never)).toThrow();
  });
});
