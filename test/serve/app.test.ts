// The HTTP server through fastify.inject() (no socket): scoring in a worker thread and on the event loop, the
// strict input contract, the error format and statuses, health, drain, shedding, /model, /metrics and /docs/json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_STATUS } from '../../src/errors.js';
import { buildApp, errorBodySchema, predictResponseSchema, type ServeApp } from '../../src/serve/index.js';
import { loadRun, scoreColumns } from '../../src/train/index.js';
import { ROW, trainServedRun } from './fixture.js';

const post = (served: ServeApp, body: unknown, headers: Record<string, string> = {}) =>
  served.app.inject({ method: 'POST', url: '/predict', payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

/** An error answer: the catalogue's status for its code, and exactly {code, message, path}. */
function expectError(response: { statusCode: number; json: () => unknown }, code: keyof typeof HTTP_STATUS, path?: string | null) {
  const body = errorBodySchema.parse(response.json());
  expect(body.code).toBe(code);
  expect(response.statusCode).toBe(HTTP_STATUS[code]);
  if (path !== undefined) expect(body.path).toBe(path);
  return body;
}

let run: string;
beforeAll(async () => {
  run = await trainServedRun();
});

describe.each([1, 0])('serve with %i scoring workers', (workers) => {
  let served: ServeApp;
  beforeAll(async () => {
    served = await buildApp({ run, workers, logLevel: 'silent' });
    await served.ready;
  });
  afterAll(async () => served?.app.close());

  it('predicts raw rows with the probabilities of the saved run, lists and separator strings alike', async () => {
    const rows = [ROW, { ...ROW, user: 'never-seen', tags: ['red', 'big'], page: 'search' }, { ...ROW, price: '80', page: 'detail' }];
    const response = await post(served, { rows });
    expect(response.statusCode).toBe(200);
    const body = predictResponseSchema.parse(response.json());
    expect(body.predictions.map((p) => p.scenario)).toEqual(['home', 'search', 'detail']);
    expect(body.warnings).toBeUndefined();
    const saved = await loadRun(run);
    const expected = await scoreColumns(saved, saved.encoder.encodeRows(rows.map((r) => ({ ...r, tags: 'red|big' }))));
    await saved.session.release();
    body.predictions.forEach((p, i) => expect(p.probability).toBe(expected[i]));
  });

  it.runIf(workers > 0)('scores off the event loop: /health/live answers while a large request is being scored', async () => {
    const big = post(served, { rows: Array.from({ length: 10_000 }, (_, i) => ({ ...ROW, user: `u${i % 40}` })) });
    let scored = false;
    void big.then(() => (scored = true));
    await new Promise((r) => setTimeout(r, 5));
    expect((await served.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect(scored).toBe(false);
    expect((await big).statusCode).toBe(200);
  });

  it('scores concurrent requests merged into batches, each getting its own rows', async () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    const responses = await Promise.all(users.map((user) => post(served, { rows: [{ ...ROW, user }] })));
    const single = await Promise.all(users.map(async (user) => (await post(served, { rows: [{ ...ROW, user }] })).json().predictions[0].probability));
    expect(responses.map((r) => r.json().predictions[0].probability)).toEqual(single);
  });
});

describe('the request contract', () => {
  let served: ServeApp;
  beforeAll(async () => {
    served = await buildApp({ run, workers: 1, logLevel: 'silent', maxRows: 5, bodyLimit: 4096 });
    await served.ready;
  });
  afterAll(async () => served?.app.close());

  it('a missing feature column is 422 naming it', async () => {
    const { user: _user, ...row } = ROW;
    const body = expectError(await post(served, { rows: [ROW, row] }), 'E_DATA_MISSING_COLUMN', 'body.rows.1.user');
    expect(body.message).toContain("'user'");
  });

  it('a missing scenario column is named as missing, not as an unseen value', async () => {
    const { page: _page, ...row } = ROW;
    expectError(await post(served, { rows: [row] }), 'E_DATA_MISSING_COLUMN', 'body.rows.0.page');
  });

  it('an unseen scenario value is 422 naming the value and the cell', async () => {
    const body = expectError(await post(served, { rows: [{ ...ROW, page: 'cart' }] }), 'E_DATA_UNKNOWN_SCENARIO', 'body.rows.0.page');
    expect(body.message).toContain('cart');
  });

  it('unknown keys are scored, reported in warnings and counted', async () => {
    const response = await post(served, { rows: [{ ...ROW, usr: 'typo' }, { ...ROW, usr: 'x', extra: 1 }] });
    expect(response.statusCode).toBe(200);
    expect(predictResponseSchema.parse(response.json()).warnings).toEqual([
      "unknown key 'usr' in 2 rows (first: body.rows.0) is no column of the model and was ignored",
      "unknown key 'extra' in 1 row (first: body.rows.1) is no column of the model and was ignored",
    ]);
    const metrics = (await served.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^optmsm_unknown_keys_total 3$/m);
  });

  it('a __proto__ key is an unknown key like any other, and pollutes nothing', async () => {
    const response = await post(served, `{"rows": [{"user": "u1", "item": "i3", "tags": "red", "price": 1, "page": "home", "__proto__": {"polluted": 1}}]}`);
    expect(response.statusCode).toBe(200);
    expect(response.json().warnings[0]).toContain("'__proto__'");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a cell of the wrong type says what the column takes', async () => {
    const body = expectError(await post(served, { rows: [{ ...ROW, user: { id: 1 } }] }), 'E_SERVE_BAD_REQUEST', 'body.rows.0.user');
    expect(body.message).toContain("column 'user' takes a string, number, boolean or null");
    const multi = expectError(await post(served, { rows: [{ ...ROW, tags: [{ a: 1 }] }] }), 'E_SERVE_BAD_REQUEST', 'body.rows.0.tags');
    expect(multi.message).toContain('a list of strings or numbers');
  });

  it('a numeric cell that is no number, with no fill rule, is 422 naming the cell', async () => {
    expectError(await post(served, { rows: [{ ...ROW, price: 'cheap' }] }), 'E_DATA_BAD_NUMERIC', 'body.rows.0.price');
  });

  it('malformed bodies: bad JSON 400, wrong shape 400, no rows 400, too many rows and too many bytes 413, not JSON 415', async () => {
    expectError(await post(served, '{"rows": [}'), 'E_SERVE_BAD_JSON', 'body');
    expectError(await post(served, { rows: 'nope' }), 'E_SERVE_BAD_REQUEST', 'body.rows');
    expectError(await post(served, { rows: [] }), 'E_SERVE_BAD_REQUEST', 'body.rows');
    expectError(await post(served, { rows: [ROW], extra: true }), 'E_SERVE_BAD_REQUEST');
    expectError(await post(served, { rows: Array.from({ length: 6 }, () => ROW) }), 'E_SERVE_TOO_MANY_ROWS', 'body.rows');
    expectError(await post(served, { rows: [{ ...ROW, user: 'x'.repeat(5000) }] }), 'E_SERVE_BODY_TOO_LARGE', 'body');
    expectError(await post(served, 'user=u1', { 'content-type': 'text/plain' }), 'E_SERVE_UNSUPPORTED_MEDIA_TYPE');
  });

  it('an unknown route is 404 in the same format', async () => {
    expectError(await served.app.inject({ method: 'GET', url: '/nope?x=1' }), 'E_SERVE_NOT_FOUND', 'url');
    expectError(await served.app.inject({ method: 'GET', url: '/predict' }), 'E_SERVE_NOT_FOUND', 'url');
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    expect((await post(served, { rows: [ROW] }, { 'x-request-id': 'abc-123' })).headers['x-request-id']).toBe('abc-123');
    expect((await post(served, { rows: [ROW] }, { 'x-request-id': 'bad id\u0001' })).headers['x-request-id']).toMatch(/^[0-9a-f]{8}-\w+$/);
  });
});

describe('--strict', () => {
  it('rejects an unknown key naming it and the columns the model reads', async () => {
    const served = await buildApp({ run, workers: 0, logLevel: 'silent', strict: true });
    await served.ready;
    const body = expectError(await post(served, { rows: [ROW, { ...ROW, usr: 'typo' }] }), 'E_SERVE_UNKNOWN_KEY', 'body.rows.1.usr');
    expect(body.message).toContain("'usr'");
    expect((await post(served, { rows: [ROW] })).statusCode).toBe(200);
    await served.app.close();
  });
});

describe('health, drain and shedding', () => {
  it('live at once, ready after the warm-up; draining turns ready and predict to 503 with Retry-After', async () => {
    const served = await buildApp({ run, workers: 1, logLevel: 'silent' });
    expect((await served.app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'live' });
    await served.ready;
    expect((await served.app.inject({ method: 'GET', url: '/health/ready' })).json()).toEqual({ status: 'ready' });
    served.state.draining = true;
    const ready = await served.app.inject({ method: 'GET', url: '/health/ready' });
    expectError(ready, 'E_SERVE_DRAINING');
    const predict = await post(served, { rows: [ROW] });
    expectError(predict, 'E_SERVE_DRAINING');
    expect(predict.headers['retry-after']).toBe('1');
    expect(predict.headers.connection).toBe('close');
    expect((await served.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    await served.app.close();
  });

  it('past --max-queue a request is shed at once with 503 and Retry-After, never left waiting', async () => {
    // One request may wait; its batch waits 100 ms for company, so the second finds the queue full.
    const served = await buildApp({ run, workers: 1, logLevel: 'silent', maxQueue: 1, batchWaitMs: 100 });
    await served.ready;
    const first = post(served, { rows: [ROW] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const shed = await post(served, { rows: [ROW] });
    expectError(shed, 'E_SERVE_OVERLOADED');
    expect(shed.headers['retry-after']).toBe('1');
    expect((await first).statusCode).toBe(200);
    await served.app.close();
  });
});

describe('what the server tells about itself', () => {
  let served: ServeApp;
  beforeAll(async () => {
    served = await buildApp({ run, workers: 0, logLevel: 'silent' });
    await served.ready;
    await post(served, { rows: [ROW, { ...ROW, page: 'search' }] });
  });
  afterAll(async () => served?.app.close());

  it('GET /model: the model, code version, checksums and the JSON Schema of a row', async () => {
    const body = (await served.app.inject({ method: 'GET', url: '/model' })).json();
    expect(body).toMatchObject({ model: 'shared-bottom', seed: 1, scenario_column: 'page', scenarios: ['detail', 'home', 'search'] });
    expect(body.code_version).toEqual(expect.any(String));
    expect(body.checksums['model.onnx']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(body.columns).toEqual({ required: ['page', 'user', 'item', 'tags', 'price'], optional: ['label'] });
    expect(body.row_schema.required.sort()).toEqual(['item', 'page', 'price', 'tags', 'user']);
    expect(body.row_schema.properties.tags.anyOf.map((s: { type: string }) => s.type)).toEqual(['string', 'array', 'null']);
  });

  it('GET /metrics: requests by route and status, latency, rows per scenario, queue depth, model info', async () => {
    const text = (await served.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/^optmsm_http_requests_total\{route="\/predict",method="POST",status="200"\} 1$/m);
    expect(text).toMatch(/^optmsm_http_request_duration_seconds_count\{route="\/predict",method="POST"\} 1$/m);
    expect(text).toMatch(/^optmsm_rows_scored_total\{scenario="home"\} 1$/m);
    expect(text).toMatch(/^optmsm_rows_scored_total\{scenario="search"\} 1$/m);
    expect(text).toMatch(/^optmsm_queue_depth 0$/m);
    expect(text).toMatch(/^optmsm_model_info\{model="shared-bottom",seed="1",.*sha256="[0-9a-f]{64}".*\} 1$/m);
    expect(text).toMatch(/^optmsm_nodejs_eventloop_lag_seconds /m);
  });

  it('GET /docs/json: an OpenAPI description of every endpoint, with the row schema', async () => {
    const doc = (await served.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/health/live', '/health/ready', '/metrics', '/model', '/predict']);
    const body = doc.paths['/predict'].post.requestBody.content['application/json'].schema;
    expect(body.properties.rows.items.required.sort()).toEqual(['item', 'page', 'price', 'tags', 'user']);
    expect(Object.keys(doc.paths['/predict'].post.responses).sort()).toEqual(['200', '400', '413', '415', '422', '500', '503']);
  });
});
