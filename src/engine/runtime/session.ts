// A thin wrapper over an onnxruntime-node InferenceSession with the settings the engine was measured with
// (engine.md): full graph optimisation, 2 intra-op threads unless told otherwise, the CPU provider unless
// OPTMSM_EXECUTION_PROVIDER or the `executionProvider` option names another (e.g. 'cuda' after installing the
// CUDA build, see docs/engine.md). Inputs are passed zero-copy; ORT rejects SharedArrayBuffer-backed arrays, so
// those are copied into a private buffer first.
import * as ort from 'onnxruntime-node';
import { OptmsmError } from '../../errors.js';

export type FeedData = Float32Array | Int32Array | Uint8Array;
export interface Feed {
  data: FeedData;
  shape: readonly number[];
  /** Uint8Array data is fed as 'bool' unless this says 'uint8'. */
  dtype?: 'float32' | 'int32' | 'bool' | 'uint8';
}

export interface SessionOptions {
  /** Intra-op threads. Default 2. */
  threads?: number;
  /** 'cpu' (default), 'cuda', ... Overridden by the OPTMSM_EXECUTION_PROVIDER environment variable. */
  executionProvider?: string;
  /**
   * Whether ONNX Runtime's intra-op threads spin while waiting for work (its default, true). Spinning threads
   * keep a core busy for a while after each run, which slows whatever runs between graph runs on 2 cores.
   */
  spinning?: boolean;
  /** ONNX Runtime's CPU memory arena (its default, true). */
  memoryArena?: boolean;
}

export const DEFAULT_THREADS = 2;

/** A graph input or output as ONNX Runtime reports it: symbolic dimensions are strings (e.g. 'B'). */
export interface GraphValue {
  name: string;
  type: string;
  shape: readonly (number | string)[];
}

function graphValues(metadata: readonly ort.InferenceSession.ValueMetadata[]): GraphValue[] {
  return metadata.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] }));
}

export function resolveExecutionProvider(option?: string): string {
  return process.env.OPTMSM_EXECUTION_PROVIDER || option || 'cpu';
}

export class Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly GraphValue[];
  readonly outputs: readonly GraphValue[];
  readonly executionProvider: string;
  private readonly inner: ort.InferenceSession;
  private readonly unshared = new Map<string, FeedData>();

  private constructor(inner: ort.InferenceSession, executionProvider: string) {
    this.inner = inner;
    this.inputNames = inner.inputNames;
    this.outputNames = inner.outputNames;
    this.inputs = graphValues(inner.inputMetadata);
    this.outputs = graphValues(inner.outputMetadata);
    this.executionProvider = executionProvider;
  }

  static async create(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    const provider = resolveExecutionProvider(options.executionProvider);
    // ORT silently skips a provider name it does not know when 'cpu' follows it; say so instead.
    const known = ort.listSupportedBackends().map((b) => b.name);
    if (!known.includes(provider)) {
      throw new OptmsmError('E_ENGINE_RUNTIME', `unknown execution provider '${provider}'`, {
        expected: known.join(', '),
        found: provider,
        hint: 'set OPTMSM_EXECUTION_PROVIDER (or executionProvider) to one of the expected names, see docs/engine.md',
      });
    }
    const providers = provider === 'cpu' ? ['cpu'] : [provider, 'cpu'];
    try {
      const inner = await ort.InferenceSession.create(model, {
        graphOptimizationLevel: 'all',
        intraOpNumThreads: options.threads ?? DEFAULT_THREADS,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        enableCpuMemArena: options.memoryArena ?? true,
        executionProviders: providers,
        ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
      });
      return new Session(inner, provider);
    } catch (error) {
      throw new OptmsmError('E_ENGINE_RUNTIME', `ONNX Runtime could not load the model: ${(error as Error).message}`, {
        found: `execution provider ${provider}`,
        hint: provider === 'cpu' ? undefined : 'install the matching onnxruntime-node build (docs/engine.md) or unset OPTMSM_EXECUTION_PROVIDER',
      });
    }
  }

  /** Runs the graph on the feeds whose names it declares as inputs (others are ignored). */
  async run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, ort.Tensor>> {
    const inputs: Record<string, ort.Tensor> = {};
    for (const name of this.inputNames) {
      const feed = feeds[name];
      if (!feed) throw new OptmsmError('E_ENGINE_RUNTIME', `no value fed for graph input ${name}`, { expected: name });
      inputs[name] = new ort.Tensor(feedType(feed), this.privateCopy(name, feed.data), feed.shape as number[]);
    }
    try {
      return await this.inner.run(inputs);
    } catch (error) {
      throw new OptmsmError('E_ENGINE_RUNTIME', `ONNX Runtime failed to run the graph: ${(error as Error).message}`);
    }
  }

  async release(): Promise<void> {
    await this.inner.release();
  }

  private privateCopy(name: string, data: FeedData): FeedData {
    if (!(data.buffer instanceof SharedArrayBuffer)) return data;
    let copy = this.unshared.get(name);
    if (!copy || copy.length < data.length || copy.constructor !== data.constructor) {
      copy = new (data.constructor as new (n: number) => FeedData)(data.length);
      this.unshared.set(name, copy);
    }
    const view = copy.subarray(0, data.length);
    view.set(data as never);
    return view;
  }
}

function feedType(feed: Feed): 'float32' | 'int32' | 'bool' | 'uint8' {
  if (feed.dtype) return feed.dtype;
  if (feed.data instanceof Float32Array) return 'float32';
  if (feed.data instanceof Int32Array) return 'int32';
  return 'bool';
}
