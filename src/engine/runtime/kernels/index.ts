// The WebAssembly SIMD kernels (kernels.wat) and the memory they work in. WebAssembly code can only address its
// own linear memory, so the arrays the kernels touch (embedding tables, optimizer moments, row gradients, the
// gathered batch) are allocated in a KernelMemory: one shared WebAssembly.Memory with a bump allocator, whose
// views are ordinary Float32Array/Int32Array for every other piece of code. Shared, so that the helper thread
// runs the same kernels on the same memory, and so that growing it never detaches the views already handed out.
import { readFileSync } from 'node:fs';
import { InternalError } from '../../../errors.js';

/** kernels.wasm, built from kernels.wat by `npm run build:kernels`. */
export const KERNEL_MODULE = new WebAssembly.Module(readFileSync(new URL('./kernels.wasm', import.meta.url)));

/** The exports of kernels.wat (pointers are byte offsets into the memory; see the .wat for each formula). */
export interface Kernels {
  adam_dense(p: number, g: number, m: number, v: number, n: number,
    b1: number, oneMinusB1: number, b2: number, oneMinusB2: number, bc2: number, eps: number, negStep: number, decay: number, l2: number): void;
  adam_rows(p: number, mv: number, rows: number, order: number, grad: number, dim: number, start: number, end: number,
    oneMinusB1: number, oneMinusB2: number, eps: number, l2: number, negStep: number): void;
  adagrad_rows(p: number, sum: number, rows: number, order: number, grad: number, dim: number, start: number, end: number,
    eps: number, l2: number, negLr: number): void;
  assign_slots(ids: number, size: number, rows: number, slotOf: number, unique: number, count: number, pos: number): number;
  add_rows(fields: number, count: number, dE: number, size: number, stride: number): void;
  copy_rows(ids: number, size: number, data: number, dim: number, out: number, stride: number, offset: number): number;
}

export type KernelName = keyof Kernels;

/** One call of a kernel, with its arguments in the order of its parameters: runs here (KernelMemory.run) or on the helper. */
export interface KernelCall {
  name: KernelName;
  args: readonly number[];
}

const PAGE = 65536;
/** wasm32 addresses 4 GiB; allocations stop short of it. */
const MAX_PAGES = 65536;
const ALIGN = 64;

export function instantiateKernels(memory: WebAssembly.Memory): Kernels {
  return new WebAssembly.Instance(KERNEL_MODULE, { env: { memory } }).exports as unknown as Kernels;
}

export class KernelMemory {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  /** Every SharedArrayBuffer this memory has had (one per size): a view is ours when its buffer is one of them. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Next free byte. Offset 0 stays unused, so that 0 can mean "no array" in kernel arguments. */
  private top = ALIGN;

  constructor(initialBytes = PAGE) {
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(initialBytes / PAGE)), maximum: MAX_PAGES, shared: true });
    this.buffers.add(this.memory.buffer);
    this.kernels = instantiateKernels(this.memory);
  }

  /** Whether `bytes` more fit below the 4 GiB limit. */
  fits(bytes: number): boolean {
    return this.top + bytes + ALIGN <= MAX_PAGES * PAGE;
  }

  float32(n: number): Float32Array {
    const at = this.allocate(n * 4); // first: it may grow the memory, and the view must be of the grown buffer
    return new Float32Array(this.memory.buffer, at, n);
  }

  int32(n: number): Int32Array {
    const at = this.allocate(n * 4);
    return new Int32Array(this.memory.buffer, at, n);
  }

  run(call: KernelCall): number {
    return (this.kernels[call.name] as (...args: readonly number[]) => number | undefined)(...call.args) ?? 0;
  }

  holds(view: ArrayBufferView): boolean {
    return this.buffers.has(view.buffer);
  }

  /** The byte offset of a view of this memory, as kernels take it. */
  pointer(view: ArrayBufferView): number {
    if (!this.holds(view)) throw new InternalError('a kernel argument is not in the kernel memory');
    return view.byteOffset;
  }

  private allocate(bytes: number): number {
    if (!this.fits(bytes)) throw new InternalError(`the kernel memory cannot hold ${bytes} more bytes`);
    const at = this.top;
    this.top = Math.ceil((at + bytes) / ALIGN) * ALIGN; // not bitwise: offsets pass 2^31
    const missing = this.top - this.memory.buffer.byteLength;
    if (missing > 0) {
      this.memory.grow(Math.ceil(missing / PAGE));
      this.buffers.add(this.memory.buffer);
    }
    return at;
  }
}
