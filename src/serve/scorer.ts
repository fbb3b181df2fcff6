// Scores a batch of raw request bodies: each is parsed, checked against the row contract and encoded on its own
// (one bad request fails alone), then the rows of all good ones go through ONNX Runtime together in runs of at
// most `batchRows`, and each request gets its response text. It runs in a scoring worker, or on the event loop
// when the server has no workers; either way the HTTP thread never parses, encodes or scores.
import type { EncodedColumns, FieldInfo } from '../data/index.js';
import { type ErrorCode, OptmsmError } from '../errors.js';
import { loadRun, modelFeeds, type SavedRun } from '../train/index.js';
import { errorBody, statusOf } from './http-error.js';
import { encoderPath, requestError, type RowContract, rowContract, strictError, unknownKeys, unknownKeyWarnings } from './rows.js';

export interface ScorerOptions {
  run: string;
  threads: number;
  batchRows: number;
  maxRows: number;
  strict: boolean;
}

/** What one request gets back, plus what the HTTP thread counts and logs. */
export interface ScoreOutcome {
  status: number;
  /** The response body, JSON text. */
  body: string;
  /** Rows scored per scenario index (empty on error). */
  scenarioRows: number[];
  /** Cells whose key is no column of the model. */
  unknownKeyCells: number;
  /** The code of an error answer, for logs and metrics. */
  code?: ErrorCode;
  /** The cause of a 5xx, for the server's log (never sent to the client). */
  detail?: string;
}

interface Parsed {
  columns: EncodedColumns;
  warnings: string[];
  unknownKeyCells: number;
}

function failure(error: unknown, unknownKeyCells = 0): ScoreOutcome {
  if (error instanceof OptmsmError) {
    const status = statusOf(error.code);
    const path = error.code.startsWith('E_DATA_') ? encoderPath(error.location) : error.location;
    return {
      status, body: JSON.stringify(errorBody(error, path)), scenarioRows: [], unknownKeyCells, code: error.code,
      ...(status >= 500 ? { detail: error.message } : {}),
    };
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return {
    status: 500, body: JSON.stringify({ code: 'E_INTERNAL', message: 'internal error (logged by the server)', path: null }),
    scenarioRows: [], unknownKeyCells, code: 'E_INTERNAL', detail,
  };
}

export class Scorer {
  private readonly known: Set<string>;
  private readonly responseHead: string;
  private readonly scenarioJson: string[];
  private readonly numericFields: FieldInfo[];
  private readonly idFields: FieldInfo[];

  private constructor(readonly run: SavedRun, readonly contract: RowContract, private readonly options: ScorerOptions) {
    this.known = new Set([...contract.required, ...contract.optional]);
    this.responseHead = `{"model":${JSON.stringify(run.config.model)},"predictions":[`;
    this.scenarioJson = run.config.scenarios.values.map((v) => JSON.stringify(v));
    this.numericFields = run.config.fields.filter((f) => f.kind === 'numeric');
    this.idFields = run.config.fields.filter((f) => f.kind !== 'numeric');
  }

  /** Loads and verifies the run, then proves the model answers (see warmUp) before anything is served. */
  static async open(options: ScorerOptions): Promise<Scorer> {
    const run = await loadRun(options.run, { threads: options.threads });
    const scorer = new Scorer(run, rowContract(run.encoder, options.maxRows), options);
    await scorer.warmUp();
    return scorer;
  }

  async close(): Promise<void> {
    await this.run.session.release();
  }

  /**
   * One row per scenario with every embedded field at its largest id: a model.onnx whose tables do not fit the
   * encoder's vocabularies fails here, at startup, rather than on the first request that reaches a large id.
   */
  async warmUp(): Promise<void> {
    const fields = this.run.config.fields;
    const n = this.run.config.scenarios.values.length;
    const scenario = Int32Array.from({ length: n }, (_, s) => s);
    const ids: Record<string, Int32Array> = {};
    for (const f of this.idFields) ids[f.name] = new Int32Array(n * f.maxLen).fill(f.vocabSize - 1);
    let probability: Float32Array;
    try {
      const out = await this.run.session.run(modelFeeds(fields, n, scenario, new Float32Array(n * this.numericFields.length), ids));
      probability = out['out/probability'].data as Float32Array;
    } catch (error) {
      throw new OptmsmError('E_RUN_INCOMPATIBLE', `${this.run.dir}/model.onnx fails its warm-up prediction: ${(error as Error).message}`, {
        location: this.run.dir,
        hint: 'a run directory must keep the model.onnx, encoder.json and config.json written together by `optmsm train`',
      });
    }
    if (!probability.every((p) => p >= 0 && p <= 1)) {
      throw new OptmsmError('E_RUN_INCOMPATIBLE', `${this.run.dir}/model.onnx answers a warm-up prediction outside [0, 1]`, {
        location: this.run.dir, found: Array.from(probability).join(', '),
      });
    }
  }

  private parse(text: string): Parsed {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new OptmsmError('E_SERVE_BAD_JSON', `the request body is not valid JSON: ${(error as Error).message}`, {
        location: 'body', expected: '{"rows": [{...}, ...]}',
      });
    }
    const rows = (body as { rows?: unknown } | null)?.rows;
    if (Array.isArray(rows) && rows.length > this.options.maxRows) {
      throw new OptmsmError('E_SERVE_TOO_MANY_ROWS', `a request may have at most ${this.options.maxRows} rows (--max-rows); this one has ${rows.length}`, {
        location: 'body.rows', expected: `at most ${this.options.maxRows} rows`, found: `${rows.length} rows`, hint: 'split the rows over several requests',
      });
    }
    // The schema transforms nothing, so a body it accepts is scored as it came; Zod runs only to explain a refusal.
    if (!this.contract.accepts(body)) {
      const parsed = this.contract.request.safeParse(body);
      if (!parsed.success) throw requestError(parsed.error, body, this.options.maxRows);
    }
    const { rows: valid } = body as { rows: Record<string, unknown>[] };
    const unknown = unknownKeys(valid, this.known);
    if (unknown.cells > 0 && this.options.strict) throw strictError(unknown, this.contract.required);
    return { columns: this.run.encoder.encodeRows(valid), warnings: unknownKeyWarnings(unknown), unknownKeyCells: unknown.cells };
  }

  async score(bodies: readonly string[]): Promise<ScoreOutcome[]> {
    const outcomes: (ScoreOutcome | null)[] = new Array(bodies.length).fill(null);
    const parsed: (Parsed | null)[] = bodies.map((text, i) => {
      try {
        return this.parse(text);
      } catch (error) {
        outcomes[i] = failure(error);
        return null;
      }
    });
    const good = parsed.filter((p): p is Parsed => p !== null);
    let probability: Float32Array;
    try {
      probability = await this.probabilities(good.map((p) => p.columns));
    } catch (error) {
      return parsed.map((p, i) => outcomes[i] ?? failure(error, p!.unknownKeyCells));
    }
    let offset = 0;
    return parsed.map((p, i) => {
      if (p === null) return outcomes[i]!;
      const outcome = this.respond(p, probability, offset);
      offset += p.columns.rows;
      return outcome;
    });
  }

  private respond(p: Parsed, probability: Float32Array, offset: number): ScoreOutcome {
    const scenarioRows = new Array<number>(this.scenarioJson.length).fill(0);
    const parts: string[] = [];
    for (let r = 0; r < p.columns.rows; r++) {
      const s = p.columns.scenario[r]!;
      scenarioRows[s]!++;
      parts.push(`{"probability":${probability[offset + r]},"scenario":${this.scenarioJson[s]}}`);
    }
    const warnings = p.warnings.length > 0 ? `,"warnings":${JSON.stringify(p.warnings)}` : '';
    return { status: 200, body: `${this.responseHead}${parts.join(',')}]${warnings}}`, scenarioRows, unknownKeyCells: p.unknownKeyCells };
  }

  /** The rows of all parts, concatenated in the model's input layout and scored in runs of at most batchRows. */
  private async probabilities(parts: readonly EncodedColumns[]): Promise<Float32Array> {
    const total = parts.reduce((n, c) => n + c.rows, 0);
    const probability = new Float32Array(total);
    if (total === 0) return probability;
    const width = this.numericFields.length;
    const scenario = new Int32Array(total);
    const numeric = new Float32Array(total * width);
    const ids: Record<string, Int32Array> = {};
    for (const f of this.idFields) ids[f.name] = new Int32Array(total * f.maxLen);
    let offset = 0;
    for (const c of parts) {
      scenario.set(c.scenario, offset);
      this.numericFields.forEach((f, j) => {
        const column = c.numeric[f.name]!;
        for (let r = 0; r < c.rows; r++) numeric[(offset + r) * width + j] = column[r]!;
      });
      for (const f of this.idFields) ids[f.name]!.set(c.ids[f.name]!, offset * f.maxLen);
      offset += c.rows;
    }
    const fields = this.run.config.fields;
    for (let start = 0; start < total; start += this.options.batchRows) {
      const end = Math.min(total, start + this.options.batchRows);
      const slice: Record<string, Int32Array> = {};
      for (const f of this.idFields) slice[f.name] = ids[f.name]!.subarray(start * f.maxLen, end * f.maxLen);
      const out = await this.run.session.run(
        modelFeeds(fields, end - start, scenario.subarray(start, end), numeric.subarray(start * width, end * width), slice),
      );
      probability.set(out['out/probability'].data as Float32Array, start);
    }
    return probability;
  }
}
