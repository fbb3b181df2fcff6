import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from '../../src/train/progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    { isTTY, columns: 120 },
  );
  return { stream, text: () => chunks.join('') };
}

describe('createProgress without a terminal', () => {
  it('logs plain lines every 10% and at the end', () => {
    const { stream, text } = sink(false);
    let clock = 0;
    const p = createProgress({ total: 1000, label: 'epoch 1/5', stream, now: () => clock });
    for (let done = 50; done <= 1000; done += 50) {
      clock += 100; // 0.1 s per update: only the percentage triggers lines
      p.update(done, { loss: 0.5 - done / 10000, samplesPerSecond: 12345.6 });
    }
    p.stop();
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe('epoch 1/5: 10% (100/1000) loss 0.4900, 12,346 samples/s, ETA 2s');
    expect(lines[9]).toBe('epoch 1/5: 100% (1000/1000) loss 0.4000, 12,346 samples/s, took 2s');
  });

  it('also logs every ~10 s on slow epochs and writes a final line when stopped early', () => {
    const { stream, text } = sink(false);
    let clock = 0;
    const p = createProgress({ total: 10_000, label: 'train', stream, now: () => clock, logEverySeconds: 10 });
    for (let done = 10; done <= 300; done += 10) {
      clock += 1000;
      p.update(done, { loss: 0.7, samplesPerSecond: 10 });
    }
    p.stop();
    const lines = text().trimEnd().split('\n');
    expect(lines.map((l) => l.split(' (')[1].split(')')[0])).toEqual(['100/10000', '200/10000', '300/10000', '300/10000']);
    expect(lines[0]).toContain('ETA 16m30s');
    expect(lines[3]).toContain('took 30s');
  });

  it('writes nothing when nothing happened', () => {
    const { stream, text } = sink(false);
    createProgress({ total: 10, label: 'x', stream }).stop();
    expect(text()).toBe('');
  });
});

describe('createProgress on a terminal', () => {
  it('draws a cli-progress bar with loss, samples/s and ETA', () => {
    const { stream, text } = sink(true);
    const p = createProgress({ total: 200, label: 'epoch 2/5', stream });
    p.update(200, { loss: 0.4321, samplesPerSecond: 98765 });
    p.stop();
    expect(text()).toContain('epoch 2/5 |');
    expect(text()).toContain('100% | loss 0.4321 | 98,765 samples/s | ETA');
  });
});

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect([formatDuration(4.4), formatDuration(65), formatDuration(3 * 3600 + 120), formatDuration(NaN)]).toEqual([
      '4s',
      '1m05s',
      '3h02m',
      '?',
    ]);
  });
});
