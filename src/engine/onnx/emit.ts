// Emits the part of a trace that the requested outputs need as one ONNX graph. Params are the outputs of a
// single Split of the flat `theta` input (reshaped to their shapes); constants and shape tensors are
// initializers, deduplicated by content; a Shape node is emitted only where a shape involves 'B'.
// Identical nodes (same op, inputs and attributes) are emitted once.
import { InternalError } from '../../errors.js';
import { opDef } from '../ops/index.js';
import type { EmitContext, OnnxAttr } from '../ops/op.js';
import { type DType, type Tensor, hasBatch } from '../tensor.js';
import type { Node, Trace } from '../trace.js';
import { type INodeProto, type ITensorProto, type IValueInfoProto, attribute, modelBytes, tensorProto, valueInfo } from './proto.js';

export interface GraphIO {
  /** Leaf tensors declared as graph inputs, in order (named by their leaf names). */
  inputs: readonly Tensor[];
  /** Drop declared inputs that no output depends on (the inference graph). */
  pruneInputs: boolean;
  /** Params in theta order; the `theta` input is declared when non-empty. */
  params: readonly Tensor[];
  outputs: ReadonlyArray<readonly [string, Tensor]>;
}

export interface EmittedGraph {
  bytes: Uint8Array;
  inputNames: string[];
}

export function emitGraph(trace: Trace, io: GraphIO): EmittedGraph {
  const needed = new Set<number>();
  const stack = io.outputs.map(([, t]) => t.id);
  while (stack.length > 0) {
    const id = stack.pop() as number;
    if (needed.has(id)) continue;
    needed.add(id);
    for (const t of trace.nodes[id].inputs) stack.push(t.id);
  }
  const nodes: INodeProto[] = [];
  const initializers: ITensorProto[] = [];
  const constByKey = new Map<string, string>();
  const nodeByKey = new Map<string, string[]>();
  const names = new Map<number, string>();
  let counter = 0;

  const initializer = (dims: readonly number[], data: Float32Array | Int32Array | Uint8Array | BigInt64Array): string => {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const key = `${data.constructor.name}|${dims.join(',')}|${bytes.toString('base64')}`;
    let name = constByKey.get(key);
    if (name === undefined) {
      name = `#c${constByKey.size}`;
      constByKey.set(key, name);
      initializers.push(tensorProto(name, dims, data));
    }
    return name;
  };

  const ctx: EmitContext = {
    name: (t) => names.get(t.id) ?? missing(t),
    node(opType: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}, outputs = 1): string[] {
      // Common subexpressions (e.g. sigmoid(logit) in the output and in the BCE gradient) are emitted once.
      const key = `${opType}|${inputs.join(',')}|${JSON.stringify(attrs)}|${outputs}`;
      const seen = nodeByKey.get(key);
      if (seen) return seen;
      const out = [...Array(outputs)].map(() => `#v${counter++}`);
      nodeByKey.set(key, out);
      nodes.push({ opType, input: inputs, output: out, name: `${opType}_${nodes.length}`, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
      return out;
    },
    ints: (values) => initializer([values.length], BigInt64Array.from(values.map(BigInt))),
    scalar: (value, dtype) => initializer([], typed(dtype, [value])),
    shapeOf(t) {
      if (!hasBatch(t.shape)) return ctx.ints(t.shape as number[]);
      return ctx.node('Shape', [ctx.name(t)])[0];
    },
  };

  const paramIds = new Set(io.params.map((p) => p.id));
  let paramNames: string[] | null = null;
  const emitParams = (): string[] => {
    const sizes = io.params.map((p) => (p.shape as number[]).reduce((a, b) => a * b, 1));
    const flat = io.params.length === 1 ? ['theta'] : ctx.node('Split', ['theta', ctx.ints(sizes)], { axis: 0 }, io.params.length);
    return io.params.map((p, i) => (p.rank === 1 ? flat[i] : ctx.node('Reshape', [flat[i], ctx.ints(p.shape as number[])])[0]));
  };

  for (const node of trace.nodes) {
    if (!needed.has(node.id)) continue;
    names.set(node.id, emitNode(node));
  }

  function emitNode(node: Node): string {
    const leaf = node.leaf;
    if (!leaf) {
      const def = opDef(node.op);
      if (!def) throw new InternalError(`no op definition for '${node.op}'`);
      return def.emit(ctx, node, node.attrs as never);
    }
    if (leaf.kind === 'constant') return initializer(node.out.shape as number[], leaf.values as Float32Array);
    if (leaf.kind === 'param') {
      if (!paramIds.has(node.id)) throw new InternalError(`param '${leaf.name}' is not in theta`);
      paramNames ??= emitParams();
      return paramNames[io.params.findIndex((p) => p.id === node.id)];
    }
    return leaf.name;
  }

  const declared = io.inputs.filter((t) => !io.pruneInputs || needed.has(t.id));
  const input: IValueInfoProto[] = declared.map((t) => valueInfo(trace.nodes[t.id].leaf?.name ?? missing(t), t.shape, t.dtype));
  if (io.params.length > 0) {
    const size = io.params.reduce((n, p) => n + (p.shape as number[]).reduce((a, b) => a * b, 1), 0);
    input.splice(declared.filter((t) => trace.nodes[t.id].leaf?.kind === 'input').length, 0, valueInfo('theta', [size], 'float32'));
  }
  const output = io.outputs.map(([name, t]) => {
    nodes.push({ opType: 'Identity', input: [ctx.name(t)], output: [name], name: `out_${name}` });
    return valueInfo(name, t.shape, t.dtype);
  });
  const bytes = modelBytes({ name: 'optmsm', node: nodes, initializer: initializers, input, output });
  return { bytes, inputNames: input.map((v) => v.name as string) };
}

function typed(dtype: DType, values: number[]): Float32Array | Int32Array | Uint8Array {
  return dtype === 'float32' ? Float32Array.from(values) : dtype === 'int32' ? Int32Array.from(values) : Uint8Array.from(values);
}

function missing(t: Tensor): never {
  throw new InternalError(`tensor ${t.id} was used before it was emitted`);
}
