// A Triton Inference Server model repository for a run: <dir>/<name>/1/model.onnx (the run's verified file, as is),
// <dir>/<name>/config.pbtxt describing every graph input and output from the ONNX Runtime session itself, with
// dynamic batching on, and the run's encoder.json beside it for the client, which must encode raw rows into
// these inputs itself (docs/serving.md, "The encoder contract").
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GraphValue } from '../engine/index.js';
import { OptmsmError } from '../errors.js';
import { loadRun, RUN_FILES, sha256 } from '../train/index.js';

export interface TritonOptions {
  run: string;
  /** The model repository (created if missing). */
  dir: string;
  /** The model's name in the repository; default the run's model name. */
  name?: string;
  /** Triton's max_batch_size: the most rows it merges into one run. */
  maxBatchSize?: number;
  /** How long Triton may hold a request to batch it with others, in microseconds. */
  maxQueueDelayMicroseconds?: number;
}

const TRITON_TYPES: Record<string, string> = {
  float32: 'TYPE_FP32', float16: 'TYPE_FP16', float64: 'TYPE_FP64', int32: 'TYPE_INT32', int64: 'TYPE_INT64',
  int8: 'TYPE_INT8', uint8: 'TYPE_UINT8', bool: 'TYPE_BOOL',
};

/**
 * One input or output block. Triton's dims leave out the batch dimension (the first, symbolic 'B'); a tensor that
 * is only the batch dimension ([B]) is declared [1] and reshaped to [] as Triton requires.
 */
function tensorBlock(value: GraphValue): string {
  const type = TRITON_TYPES[value.type];
  const [batch, ...rest] = value.shape;
  if (type === undefined || typeof batch !== 'string') {
    throw new OptmsmError('E_RUN_INCOMPATIBLE', `graph value ${value.name} (${value.type} [${value.shape.join(', ')}]) has no Triton form`, {
      expected: 'a tensor of a numeric or bool type whose first dimension is the batch',
    });
  }
  const dims = rest.map((d) => (typeof d === 'number' ? d : -1));
  const shape = dims.length === 0 ? '    dims: [ 1 ]\n    reshape: { shape: [ ] }\n' : `    dims: [ ${dims.join(', ')} ]\n`;
  return `  {\n    name: ${JSON.stringify(value.name)}\n    data_type: ${type}\n${shape}  }`;
}

export function tritonConfig(name: string, inputs: readonly GraphValue[], outputs: readonly GraphValue[], maxBatchSize: number, maxQueueDelayMicroseconds: number): string {
  return [
    `name: ${JSON.stringify(name)}`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${maxBatchSize}`,
    `input [\n${inputs.map(tensorBlock).join(',\n')}\n]`,
    `output [\n${outputs.map(tensorBlock).join(',\n')}\n]`,
    `dynamic_batching {\n  max_queue_delay_microseconds: ${maxQueueDelayMicroseconds}\n}`,
    '',
  ].join('\n');
}

/** Writes the repository; returns the model's directory in it. */
export async function exportTriton(options: TritonOptions): Promise<string> {
  const run = await loadRun(options.run, { threads: 1 });
  try {
    const name = options.name ?? run.config.model;
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      throw new OptmsmError('E_CLI_USAGE', `'${name}' cannot name a Triton model directory`, { expected: 'letters, digits, _ . -' });
    }
    const modelDir = join(options.dir, name);
    mkdirSync(join(modelDir, '1'), { recursive: true });
    const model = join(modelDir, '1', 'model.onnx');
    copyFileSync(join(options.run, RUN_FILES.model), model);
    if (sha256(readFileSync(model)) !== run.manifest.files['model.onnx'].sha256) {
      throw new OptmsmError('E_RUN_CHECKSUM', `${options.run}/model.onnx changed while it was exported`, { location: model });
    }
    copyFileSync(join(options.run, RUN_FILES.encoder), join(modelDir, 'encoder.json'));
    writeFileSync(
      join(modelDir, 'config.pbtxt'),
      tritonConfig(name, run.session.inputs, run.session.outputs, options.maxBatchSize ?? 1024, options.maxQueueDelayMicroseconds ?? 1000),
    );
    return modelDir;
  } finally {
    await run.session.release();
  }
}
