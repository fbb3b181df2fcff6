// The micro-batcher in front of a fake backend: requests merge while the slot is busy, a dispatch carries at most
// batchRows requests, a full queue sheds at once, a request past its score timeout gets 503, idle() waits.
import { describe, expect, it } from 'vitest';
import type { ScoringBackend } from '../../src/serve/backend.js';
import { Batcher } from '../../src/serve/batcher.js';
import type { ScoreOutcome } from '../../src/serve/scorer.js';

/** A backend with one slot whose batches finish only when the test says so. */
function heldBackend() {
  const batches: { bodies: string[]; finish: () => void }[] = [];
  const backend: ScoringBackend = {
    slots: 1,
    score: (bodies) => new Promise<ScoreOutcome[]>((resolve) => batches.push({
      bodies, finish: () => resolve(bodies.map((body) => ({ status: 200, body, scenarioRows: [], unknownKeyCells: 0 }))),
    })),
    close: async () => {},
  };
  return { backend, batches };
}

const options = { batchRows: 3, batchWaitMs: 0, maxQueue: 10, scoreTimeoutMs: 10_000 };
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Batcher', () => {
  it('sends the first request alone, then merges those that arrived meanwhile, at most batchRows at a time', async () => {
    const { backend, batches } = heldBackend();
    const batcher = new Batcher(options);
    batcher.start(backend);
    const answers = ['a', 'b', 'c', 'd', 'e'].map((b) => batcher.submit(b));
    await tick();
    expect(batches.map((b) => b.bodies)).toEqual([['a']]);
    expect(batcher.depth).toBe(5);
    batches[0]!.finish();
    await tick();
    expect(batches.map((b) => b.bodies)).toEqual([['a'], ['b', 'c', 'd']]);
    batches[1]!.finish();
    await tick();
    batches[2]!.finish();
    expect((await Promise.all(answers)).map((o) => o.body)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(batcher.depth).toBe(0);
  });

  it('waits batchWaitMs for company when the slot is free', async () => {
    const { backend, batches } = heldBackend();
    const batcher = new Batcher({ ...options, batchWaitMs: 30 });
    batcher.start(backend);
    void batcher.submit('a');
    await tick();
    void batcher.submit('b');
    expect(batches).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(batches.map((b) => b.bodies)).toEqual([['a', 'b']]);
  });

  it('sheds past maxQueue with E_SERVE_OVERLOADED, and answers 503 E_SERVE_TIMEOUT past the score timeout', async () => {
    const { backend, batches } = heldBackend();
    const batcher = new Batcher({ ...options, maxQueue: 2, scoreTimeoutMs: 30 });
    batcher.start(backend);
    const first = batcher.submit('a');
    const second = batcher.submit('b');
    expect(await batcher.submit('c')).toMatchObject({ status: 503, code: 'E_SERVE_OVERLOADED' });
    expect((await first).code).toBe('E_SERVE_TIMEOUT');
    expect(await second).toMatchObject({ status: 503, code: 'E_SERVE_TIMEOUT' });
    // The waiting one left the queue at its timeout; the one being scored counts until its batch returns.
    expect(batcher.depth).toBe(1);
    const idle = batcher.idle();
    batches[0]!.finish();
    await idle;
    expect(batcher.depth).toBe(0);
  });

  it('is not ready before a backend is attached', async () => {
    expect(await new Batcher(options).submit('a')).toMatchObject({ status: 503, code: 'E_SERVE_NOT_READY' });
  });
});
