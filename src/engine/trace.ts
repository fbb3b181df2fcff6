// The active trace: model code calls free functions that append nodes here (one trace at a time, as in
// tinygrad and tfjs). A node is either a leaf (data input, param, buffer, constant, dropout mask) or an op
// from the registry in ops/index.ts, recorded after its shape rule has accepted the arguments.
import { InternalError, OptmsmError } from '../errors.js';
import { type DType, type Dim, type Init, Tensor, formatShape, hasBatch, sameShape, staticSize } from './tensor.js';

export type AttrValue = number | boolean | string | readonly (number | string)[] | undefined;
export type Attrs = Readonly<Record<string, AttrValue>>;
export type LeafKind = 'input' | 'param' | 'buffer' | 'constant' | 'mask';

export interface OutInfo {
  shape: Dim[];
  dtype: DType;
}

export interface Leaf {
  kind: LeafKind;
  name: string;
  init?: Init;
  rate?: number;
  values?: Float32Array | Int32Array | Uint8Array;
}

export interface Node {
  id: number;
  /** An op name from the registry, or 'leaf'. */
  op: string;
  inputs: Tensor[];
  attrs: Attrs;
  out: Tensor;
  leaf?: Leaf;
}

/** The parts of an op definition that tracing needs (the registry adds emission and the VJP rule). */
export interface ShapeRule<A> {
  infer(inputs: Tensor[], attrs: A): OutInfo;
}

let nextTraceId = 1;

export class Trace {
  readonly id = nextTraceId++;
  readonly nodes: Node[] = [];
  readonly assignments = new Map<string, Tensor>();
  private readonly prefixes: string[] = [];
  private readonly leafNames = new Map<string, Tensor>();
  private maskCount = 0;

  constructor(readonly training: boolean) {}

  private push(op: string, inputs: Tensor[], attrs: Attrs, info: OutInfo, leaf?: Leaf): Tensor {
    const out = new Tensor(Object.freeze([...info.shape]), info.dtype, this.nodes.length, this.id);
    this.nodes.push({ id: out.id, op, inputs, attrs, out, leaf });
    return out;
  }

  leaves(kind: LeafKind): Node[] {
    return this.nodes.filter((n) => n.leaf?.kind === kind);
  }

  node(t: Tensor): Node {
    if (t.traceId !== this.id) {
      throw new OptmsmError('E_ENGINE_GRAPH', 'a tensor from another trace was used (created outside the build function?)', {
        location: sourceLine(),
        hint: 'create every tensor, constants included, inside the function passed to compile()',
      });
    }
    return this.nodes[t.id];
  }

  record<A extends Attrs>(op: string, rule: ShapeRule<A>, inputs: Tensor[], attrs: A): Tensor {
    for (const t of inputs) this.node(t);
    return this.push(op, inputs, attrs, rule.infer(inputs, attrs));
  }

  leaf(kind: LeafKind, name: string, shape: Dim[], dtype: DType, extra: Omit<Leaf, 'kind' | 'name'> = {}): Tensor {
    const full = kind === 'param' || kind === 'buffer' ? [...this.prefixes, name].join('.') : name;
    if (kind !== 'constant') {
      if (full === 'theta' || full.includes('#')) {
        throw new OptmsmError('E_ENGINE_GRAPH', `${kind} name '${full}' is reserved (theta, or containing '#')`, { location: sourceLine() });
      }
      if (this.leafNames.has(full)) {
        throw new OptmsmError('E_ENGINE_GRAPH', `duplicate ${kind} name '${full}'`, { location: sourceLine() });
      }
      checkShape(kind, full, shape, kind === 'input' || kind === 'mask');
    }
    const t = this.push('leaf', [], {}, { shape, dtype }, { kind, name: full, ...extra });
    if (kind !== 'constant') this.leafNames.set(full, t);
    return t;
  }

  nextMaskName(): string {
    return `dropout/${this.maskCount++}`;
  }

  scoped<T>(name: string, fn: () => T): T {
    this.prefixes.push(name);
    try {
      return fn();
    } finally {
      this.prefixes.pop();
    }
  }
}

function checkShape(kind: string, name: string, shape: Dim[], batchAllowed: boolean): void {
  const bad = shape.some((d) => d !== 'B' && !(Number.isInteger(d) && d >= 0));
  const batches = shape.filter((d) => d === 'B').length;
  if (bad || batches > (batchAllowed ? 1 : 0)) {
    throw new OptmsmError('E_ENGINE_SHAPE', `${kind} '${name}' has an invalid shape ${formatShape(shape)}`, {
      location: sourceLine(),
      expected: batchAllowed ? "non-negative integers and at most one 'B'" : 'non-negative integers',
      found: formatShape(shape),
    });
  }
}

let active: Trace | null = null;

export function currentTrace(): Trace {
  if (active === null) {
    throw new OptmsmError('E_ENGINE_GRAPH', 'an engine op was called outside a trace', {
      location: sourceLine(),
      hint: 'call ops inside the build function passed to compile()',
    });
  }
  return active;
}

export function withTrace<T>(trace: Trace, fn: () => T): T {
  if (active !== null) throw new InternalError('traces do not nest');
  active = trace;
  try {
    return fn();
  } finally {
    active = null;
  }
}

/** The first stack frame outside the engine: the model line that called the op. */
export function sourceLine(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64; // composite ops nest deeper than the default 10 frames
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const files = stack
    .split('\n')
    .slice(1)
    .map((f) => f.match(/\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?\s*$/)?.[1])
    .filter((f): f is string => f !== undefined && !f.startsWith('node:'));
  const outside = files.find((f) => !/[/\\]src[/\\]engine[/\\]/.test(f));
  return outside ? outside.replace(/^file:\/\//, '') : 'unknown location';
}

/** E_ENGINE_SHAPE naming the op, the argument shapes and the model line. */
export function shapeError(op: string, inputs: readonly Tensor[], expected: string, extra = ''): OptmsmError {
  const found = inputs.map((t) => `${formatShape(t.shape)} ${t.dtype}`).join(', ');
  const where = sourceLine();
  return new OptmsmError('E_ENGINE_SHAPE', `${op}: ${expected}${extra ? ` (${extra})` : ''}; got ${found} at ${where}`, {
    location: where,
    expected,
    found,
  });
}

// ---- declarations inside a trace (the public tracing API) ----

export function input(name: string, shape: Dim[], dtype: DType = 'float32'): Tensor {
  return currentTrace().leaf('input', name, shape, dtype);
}

export function param(name: string, shape: number[], init: Init): Tensor {
  return currentTrace().leaf('param', name, shape, 'float32', { init });
}

export function buffer(name: string, shape: number[], init: Init): Tensor {
  return currentTrace().leaf('buffer', name, shape, 'float32', { init });
}

export function assignBuffer(buf: Tensor, next: Tensor): void {
  const trace = currentTrace();
  const leaf = trace.node(buf).leaf;
  if (leaf?.kind !== 'buffer') {
    throw new OptmsmError('E_ENGINE_GRAPH', 'assignBuffer: the first argument is not a buffer', { location: sourceLine() });
  }
  if (!sameShape(buf.shape, next.shape) || next.dtype !== buf.dtype) throw shapeError('assignBuffer', [buf, next], 'next value of the buffer\'s shape and dtype');
  if (trace.training) trace.assignments.set(leaf.name, next);
}

export function isTraining(): boolean {
  return currentTrace().training;
}

export function scope<T>(name: string, fn: () => T): T {
  return currentTrace().scoped(name, fn);
}

export function constant(values: number[] | Float32Array | Int32Array, shape: number[], dtype: DType = 'float32'): Tensor {
  const size = staticSize(shape);
  if (values.length !== size || hasBatch(shape)) {
    throw new OptmsmError('E_ENGINE_SHAPE', `constant: ${values.length} values do not fill shape ${formatShape(shape)}`, {
      location: sourceLine(),
    });
  }
  const data = dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : Uint8Array.from(values);
  return currentTrace().leaf('constant', 'const', shape, dtype, { values: data });
}

/** A training-only dropout mask input of x's shape (values 0/1 fed by the runtime). */
export function maskInput(shape: readonly Dim[], rate: number): Tensor {
  const trace = currentTrace();
  return trace.leaf('mask', trace.nextMaskName(), [...shape], 'float32', { rate });
}
