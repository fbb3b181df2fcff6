// One helper thread that takes half of the rows of each sparse optimizer step. session.run blocks the JS
// thread and ONNX Runtime keeps both cores busy while it runs, so there is nothing to overlap with the graph;
// but the sparse update between runs is random memory access on one core, and at 1M rows it is the largest
// cost after the graph (engine.md). Splitting it over two threads roughly halves it.
//
// The tables and moments live in SharedArrayBuffers; commands go through a small shared Int32Array and
// Atomics.wait/notify (no event-loop round trip), buffers are handed over once by postMessage and picked up
// synchronously. The worker is created from source (ROW_KERNELS_SOURCE), so it needs no loader for TypeScript.
import { Worker } from 'node:worker_threads';
import { InternalError } from '../../errors.js';
import { KERNEL_MODULE, type KernelCall, type KernelMemory, type KernelName } from './kernels/index.js';
import { ROW_KERNELS_SOURCE } from './row-kernels.js';

const CMD_SEQ = 0;
const DONE_SEQ = 1;
const OP = 2;
const SLOT = 3;
const START = 4;
const END = 5;
const OP_ADAM = 1;
const OP_ADAGRAD = 2;
const OP_STOP = 3;
const OP_COPY = 4;
const OP_KERNELS = 5;
const SIZE = 6;
const STRIDE = 7;
const CALLS = 8;
/** A kernel call in the shared call list: the kernel's index, the argument count, then the arguments. */
const CALL_SLOTS = 16;
const MAX_CALLS = 64;
const KERNEL_NAMES: readonly KernelName[] = ['adam_dense', 'adam_rows', 'adagrad_rows', 'assign_slots', 'add_rows', 'copy_rows'];

const WORKER_SOURCE = `
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads');
${ROW_KERNELS_SOURCE}
const ctrl = workerData.ctrl;
const params = workerData.params;
const calls = workerData.calls;
const kernelNames = ${JSON.stringify(KERNEL_NAMES)};
const kernels = workerData.memory
  ? new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports
  : null;
const slots = [];
const copies = [];
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${CMD_SEQ}, seen);
  seen = Atomics.load(ctrl, ${CMD_SEQ});
  for (let msg; (msg = receiveMessageOnPort(parentPort)); ) {
    if (msg.message.copy) copies[msg.message.slot] = msg.message.arrays;
    else slots[msg.message.slot] = msg.message.arrays;
  }
  const op = ctrl[${OP}];
  if (op === ${OP_STOP}) break;
  const a = slots[ctrl[${SLOT}]];
  if (op === ${OP_KERNELS}) {
    for (let c = 0; c < ctrl[${CALLS}]; c++) {
      const at = c * ${CALL_SLOTS};
      kernels[kernelNames[calls[at]]](...calls.subarray(at + 2, at + 2 + calls[at + 1]));
    }
  } else if (op === ${OP_COPY}) {
    for (let f = ctrl[${START}]; f < ctrl[${END}]; f++) {
      const c = copies[f];
      copyRows(c.ids, ctrl[${SIZE}], c.data, c.dim, c.out, ctrl[${STRIDE}], c.offset);
    }
  } else if (op === ${OP_ADAM}) {
    adamRows(a.p, a.state, a.rows, a.order, a.grad, a.dim, ctrl[${START}], ctrl[${END}], params[0], params[1], params[2], params[3], params[4]);
  } else {
    adagradRows(a.p, a.state, a.rows, a.order, a.grad, a.dim, ctrl[${START}], ctrl[${END}], params[0], params[3], params[4]);
  }
  Atomics.store(ctrl, ${DONE_SEQ}, seen);
  Atomics.notify(ctrl, ${DONE_SEQ});
}
`;

/** The arrays of one table as the helper sees them: `state` is the Adam moments or the Adagrad sums. */
export interface HelperArrays {
  p: Float32Array;
  state: Float32Array;
  rows: Int32Array;
  order: Int32Array | null;
  grad: Float32Array;
  dim: number;
}

/** One field's part of a gather, for the helper: all arrays in shared memory. */
export interface HelperCopy {
  ids: Int32Array;
  data: Float32Array;
  out: Float32Array;
  dim: number;
  offset: number;
}

export class HelperThread {
  private readonly worker: Worker;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
  private readonly params = new Float64Array(new SharedArrayBuffer(8 * 8));
  private readonly calls = new Float64Array(new SharedArrayBuffer(MAX_CALLS * CALL_SLOTS * 8));
  /** The kernel memory the helper's kernel instance works in, if any. */
  readonly memory: KernelMemory | null;
  private readonly attached: HelperArrays[] = [];
  private readonly attachedCopies: HelperCopy[] = [];
  private seq = 0;
  private busy = false;

  /** With a kernel `memory`, the helper can also run kernels of kernels.wat on it (startKernels). */
  constructor(memory: KernelMemory | null = null) {
    this.memory = memory;
    const workerData = { ctrl: this.ctrl, params: this.params, calls: this.calls, module: KERNEL_MODULE, memory: memory?.memory ?? null };
    // No execArgv: the worker is plain JavaScript and needs no loader (tsx would cost startup time and memory).
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData });
    // Never keep the process alive for the helper's sake.
    this.worker.unref();
  }

  /**
   * Starts the rows [start, end) of `slot`'s arrays on the helper thread. `arrays` must be SharedArrayBuffer
   * views; they are sent again only when they changed since the last call for this slot.
   */
  start(op: 'adam' | 'adagrad', slot: number, arrays: HelperArrays, start: number, end: number, params: readonly number[]): void {
    if (this.busy) throw new InternalError('helper thread started twice without wait()');
    const known = this.attached[slot];
    if (!known || known.p !== arrays.p || known.state !== arrays.state || known.order !== arrays.order || known.rows !== arrays.rows || known.grad !== arrays.grad) {
      this.worker.postMessage({ slot, arrays });
      this.attached[slot] = { ...arrays };
    }
    for (let i = 0; i < params.length; i++) this.params[i] = params[i];
    this.ctrl[OP] = op === 'adam' ? OP_ADAM : OP_ADAGRAD;
    this.ctrl[SLOT] = slot;
    this.ctrl[START] = start;
    this.ctrl[END] = end;
    this.busy = true;
    this.signal();
  }

  /** Starts copying the rows of copy slots [start, end) (`copies` indexed by slot) for a batch of `size`. */
  startCopy(copies: readonly HelperCopy[], start: number, end: number, size: number, stride: number): void {
    if (this.busy) throw new InternalError('helper thread started twice without wait()');
    for (let f = start; f < end; f++) {
      const c = copies[f];
      const known = this.attachedCopies[f];
      if (!known || known.ids !== c.ids || known.data !== c.data || known.out !== c.out || known.dim !== c.dim || known.offset !== c.offset) {
        this.worker.postMessage({ copy: true, slot: f, arrays: c });
        this.attachedCopies[f] = { ...c };
      }
    }
    this.ctrl[OP] = OP_COPY;
    this.ctrl[START] = start;
    this.ctrl[END] = end;
    this.ctrl[SIZE] = size;
    this.ctrl[STRIDE] = stride;
    this.busy = true;
    this.signal();
  }

  /** Starts running `calls` one after the other on the helper (pointers into the helper's kernel memory). */
  startKernels(calls: readonly KernelCall[]): void {
    if (this.busy) throw new InternalError('helper thread started twice without wait()');
    if (!this.memory) throw new InternalError('the helper thread has no kernel memory');
    if (calls.length > MAX_CALLS) throw new InternalError(`at most ${MAX_CALLS} kernel calls at once`);
    calls.forEach((call, c) => {
      if (call.args.length > CALL_SLOTS - 2) throw new InternalError(`${call.name}: at most ${CALL_SLOTS - 2} arguments`);
      const at = c * CALL_SLOTS;
      this.calls[at] = KERNEL_NAMES.indexOf(call.name);
      this.calls[at + 1] = call.args.length;
      this.calls.set(call.args, at + 2);
    });
    this.ctrl[OP] = OP_KERNELS;
    this.ctrl[CALLS] = calls.length;
    this.busy = true;
    this.signal();
  }

  /** Blocks until the started range is done. */
  wait(): void {
    // The worker cannot fail on valid arrays; the deadline only turns a dead worker into an error, not a hang.
    const deadline = Date.now() + 120_000;
    while (Atomics.load(this.ctrl, DONE_SEQ) !== this.seq) {
      Atomics.wait(this.ctrl, DONE_SEQ, Atomics.load(this.ctrl, DONE_SEQ), 1000);
      if (Date.now() > deadline) throw new InternalError('the sparse-update helper thread stopped responding');
    }
    this.busy = false;
  }

  async terminate(): Promise<void> {
    this.ctrl[OP] = OP_STOP;
    this.signal();
    await this.worker.terminate();
  }

  /** Publishes the command written into ctrl and wakes the worker. */
  private signal(): void {
    Atomics.store(this.ctrl, CMD_SEQ, ++this.seq);
    Atomics.notify(this.ctrl, CMD_SEQ);
  }
}

/** A Float32Array in shared memory when `shared`, so that the helper thread can work on it. */
export function float32(n: number, shared: boolean): Float32Array {
  return shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
}

export function int32(n: number, shared: boolean): Int32Array {
  return shared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
}
