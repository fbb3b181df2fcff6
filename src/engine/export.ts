// exportModel: a self-contained inference model. Theta and buffers become initializers and, optionally, an
// embedding prefix (tables as initializers, one Gather per field, bags pooled over non-padding ids, concat)
// replaces the gathered-embedding input, so the file takes raw id tensors and runs in any ONNX Runtime.
import { OptmsmError } from '../errors.js';
import type { CompiledModel } from './compile.js';
import { type INodeProto, type ITensorProto, onnx, tensorProto } from './onnx/proto.js';

export interface ExportEmbeddingField {
  /** The exported model's input for this field is `ids/<name>`, int32 [B, maxLen]; id 0 is padding. */
  name: string;
  /** Row-major [rows, dim]; fields may share one table (the same Float32Array). */
  table: Float32Array;
  dim: number;
  /** 1 for single-id fields; bags longer than 1 are pooled. */
  maxLen: number;
  /** Bag pooling over the non-padding ids (mean of none is zeros), or none: each id's row in place, [maxLen·dim]. */
  pooling: 'mean' | 'sum' | 'none';
}

export interface ExportEmbedding {
  /** The data input these fields replace, in order of its columns (default 'E'). */
  input?: string;
  fields: ExportEmbeddingField[];
}

export interface ExportValues {
  theta: Float32Array;
  buffers?: Record<string, Float32Array>;
}

const stateError = (message: string) => new OptmsmError('E_ENGINE_STATE', message);

export function exportModel(compiled: CompiledModel, values: ExportValues, embedding?: ExportEmbedding): Uint8Array {
  const model = onnx.ModelProto.decode(compiled.inference);
  const graph = model.graph as InstanceType<typeof onnx.GraphProto>;
  if (values.theta.length !== compiled.thetaSize) throw stateError(`theta has ${values.theta.length} values, the model needs ${compiled.thetaSize}`);
  const baked = new Map<string, ITensorProto>([['theta', tensorProto('theta', [compiled.thetaSize], values.theta)]]);
  for (const b of compiled.buffers) {
    const v = values.buffers?.[b.name];
    if (!v || v.length !== b.size) throw stateError(`buffer '${b.name}' needs ${b.size} values, got ${v?.length ?? 'none'}`);
    baked.set(b.name, tensorProto(b.name, b.shape, v));
  }
  graph.initializer.push(...[...baked.values()].filter((t) => graph.input.some((i) => i.name === t.name)));
  graph.input = graph.input.filter((i) => !baked.has(i.name!));
  if (embedding) prependEmbedding(graph, compiled, embedding);
  return onnx.ModelProto.encode(model).finish();
}

function prependEmbedding(graph: InstanceType<typeof onnx.GraphProto>, compiled: CompiledModel, embedding: ExportEmbedding): void {
  const inputName = embedding.input ?? 'E';
  const spec = compiled.inputs.find((i) => i.name === inputName);
  const width = embedding.fields.reduce((n, f) => n + (f.pooling === 'none' ? f.maxLen * f.dim : f.dim), 0);
  if (!spec || spec.shape.length !== 2 || spec.shape[1] !== width) {
    throw stateError(`the embedding fields give ${width} columns, but input '${inputName}' is ${spec ? `[${spec.shape.join(', ')}]` : 'not declared'}`);
  }
  if (!graph.input.some((i) => i.name === inputName)) return; // the outputs do not use the embeddings
  const nodes: INodeProto[] = [];
  const inits: ITensorProto[] = [];
  const tables = new Map<Float32Array, string>();
  let k = 0;
  const node = (opType: string, input: string[], attrs: Record<string, number> = {}): string => {
    const out = `emb/v${k++}`;
    const attribute = Object.entries(attrs).map(([name, i]) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i }));
    nodes.push({ opType, input, output: [out], name: out, attribute });
    return out;
  };
  const ints = (vals: number[]): string => {
    const name = `emb/c${k++}`;
    inits.push(tensorProto(name, [vals.length], BigInt64Array.from(vals.map(BigInt))));
    return name;
  };
  const one = 'emb/one';
  const zeroId = 'emb/zero_id';
  const bags = embedding.fields.filter((f) => f.maxLen > 1);
  if (bags.some((f) => f.pooling !== 'none')) inits.push(tensorProto(zeroId, [], Int32Array.of(0)));
  if (bags.some((f) => f.pooling === 'mean')) inits.push(tensorProto(one, [], Float32Array.of(1)));
  const columns = embedding.fields.map((f) => {
    if (f.table.length % f.dim !== 0) throw stateError(`table of field '${f.name}' is not a multiple of its dim ${f.dim}`);
    let table = tables.get(f.table);
    if (table === undefined) {
      table = `emb/table${tables.size}`;
      tables.set(f.table, table);
      inits.push(tensorProto(table, [f.table.length / f.dim, f.dim], f.table));
    }
    const ids = `ids/${f.name}`;
    graph.input.push({ name: ids, type: { tensorType: { elemType: 6, shape: { dim: [{ dimParam: 'B' }, { dimValue: f.maxLen }] } } } });
    const rows = node('Gather', [table, ids], { axis: 0 }); // [B, L, dim]
    if (f.maxLen === 1 || f.pooling === 'none') return node('Reshape', [rows, ints([-1, f.maxLen * f.dim])]);
    const mask = node('Cast', [node('Greater', [ids, zeroId])], { to: 1 }); // [B, L]
    const sum = node('ReduceSum', [node('Mul', [rows, node('Unsqueeze', [mask, ints([2])])]), ints([1])], { keepdims: 0 });
    if (f.pooling === 'sum') return sum;
    return node('Div', [sum, node('Max', [node('ReduceSum', [mask, ints([1])], { keepdims: 1 }), one])]);
  });
  nodes.push({ opType: 'Concat', input: columns, output: [inputName], name: 'emb/concat', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] });
  graph.input = graph.input.filter((i) => i.name !== inputName);
  graph.node = [...nodes, ...graph.node];
  graph.initializer.push(...inits);
}
