// The HTTP server through fastify.inject(): no socket.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/serve/index.js';
import { loadRun, loadRunConfig, runTraining, scoreColumns } from '../../src/train/index.js';
import { writeTinyDataset, writeTinyRunConfig } from '../helpers/tiny-dataset.js';

describe('serve', () => {
  const dataset = writeTinyDataset(600);
  const run = join(dataset.dir, 'run');
  let app: FastifyInstance;

  beforeAll(async () => {
    const config = loadRunConfig(writeTinyRunConfig(dataset, { epochs: 1 }));
    await runTraining({ config, out: run, log: () => {}, progress: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream });
    app = await buildApp({ run });
  });
  afterAll(async () => app?.close());

  it('predicts raw rows with the same probabilities as the saved run', async () => {
    const rows = [
      { user: 'u1', item: 'i3', price: 12.5, page: 'home' },
      { user: 'never-seen', item: 'i4', price: 80, page: 'search' },
    ];
    const response = await app.inject({ method: 'POST', url: '/predict', payload: { rows } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.predictions.map((p: { scenario: string }) => p.scenario)).toEqual(['home', 'search']);
    const saved = await loadRun(run);
    const expected = await scoreColumns(saved, saved.encoder.encodeRows(rows));
    body.predictions.forEach((p: { probability: number }, i: number) => expect(p.probability).toBeCloseTo(expected[i], 6));
  });

  it('answers a malformed body with 400 and the path of the problem', async () => {
    const response = await app.inject({ method: 'POST', url: '/predict', payload: { rows: 'nope' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'E_SERVE_BAD_REQUEST', path: 'body.rows' });
  });

  it('answers an unknown scenario with 422 naming the value', async () => {
    const response = await app.inject({ method: 'POST', url: '/predict', payload: { rows: [{ user: 'u1', item: 'i1', price: 1, page: 'cart' }] } });
    expect(response.statusCode).toBe(422);
    expect(response.json().message).toContain('cart');
  });

  it('describes the model', async () => {
    const response = await app.inject({ method: 'GET', url: '/model' });
    expect(response.json()).toMatchObject({ model: 'shared-bottom', scenarios: ['detail', 'home', 'search'] });
  });
});
