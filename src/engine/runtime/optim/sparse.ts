// Lazy optimizers for embedding rows: only the rows a batch touched are read and written, so a step costs
// O(batch), not O(table). SparseAdam reproduces torch.optim.SparseAdam operation by operation in float32
// (Math.fround after each op, in row-kernels.ts), including its bias correction by the optimizer's global step count, not a
// per-row count: a row seen for the first time at step 1000 gets step 1000's correction, as in torch.
import { OptmsmError } from '../../../errors.js';
import type { EmbeddingTable, SparseRowGrad } from '../embedding-store.js';
import { type HelperThread, float32, int32 } from '../helper-thread.js';
import type { KernelCall, KernelMemory } from '../kernels/index.js';
import { adagradRows, adamRows } from '../row-kernels.js';
import type { OptimizerSlots } from './dense.js';

export interface SparseOptimizerConfig {
  name: 'adam' | 'adagrad';
  lr: number;
  /** L2 penalty on the rows used in the batch, added to their gradient. Default 0. */
  l2?: number;
  beta1?: number;
  beta2?: number;
  /** Default 1e-8 (adam), 1e-10 (adagrad, as torch). */
  eps?: number;
  /** adagrad only. Default 0. */
  initialAccumulator?: number;
}

const fr = Math.fround;
/** Below this many rows a step is not worth handing half of to the helper thread. */
const MIN_SPLIT_ROWS = 2048;

/**
 * The rows of a step are updated in row order: they are random rows of a table that the graph run between two
 * updates has pushed out of the caches (even a 10k-row table), and visiting them in address order lets the
 * hardware prefetcher stream them (4x faster at 10k rows, ~20% at 1M, where TLB misses dominate). Results do not
 * depend on the order (rows are independent).
 */
const SORT_MIN_ROWS = 1024;
/** When the batch touched at least one row in this many, a scan of the row → slot map beats a radix sort. */
const SCAN_ROWS_PER_SLOT = 16;
const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;

/** order[0..count) = the slots 0..count-1 sorted by rows[slot] (LSD radix sort, stable). */
export function sortSlotsByRow(rows: Int32Array, count: number, maxRow: number, order: Int32Array, scratch: Int32Array, counts: Int32Array): void {
  const passes = Math.max(1, Math.ceil((32 - Math.clz32(maxRow)) / RADIX_BITS));
  // Start in whichever buffer makes the last pass write into `order`.
  let src = passes % 2 === 0 ? order : scratch;
  let dst = passes % 2 === 0 ? scratch : order;
  for (let i = 0; i < count; i++) src[i] = i;
  for (let pass = 0, shift = 0; pass < passes; pass++, shift += RADIX_BITS) {
    counts.fill(0);
    for (let i = 0; i < count; i++) counts[(rows[src[i]] >>> shift) & (RADIX - 1)]++;
    for (let d = 0, sum = 0; d < RADIX; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < count; i++) {
      const s = src[i];
      dst[counts[(rows[s] >>> shift) & (RADIX - 1)]++] = s;
    }
    const t = src;
    src = dst;
    dst = t;
  }
}

/** order[0..) = the slots of the touched rows in row order, by one pass over the row → slot map. */
export function slotsInRowOrder(slotOf: Int32Array, rows: number, order: Int32Array): void {
  for (let r = 0, k = 0; r < rows; r++) {
    const slot = slotOf[r];
    if (slot >= 0) order[k++] = slot;
  }
}

function ema(previous: number, sample: number): number {
  return previous === 0 ? sample : 0.8 * previous + 0.2 * sample;
}

export class SparseOptimizer {
  readonly config: Readonly<SparseOptimizerConfig>;
  lr: number;
  private readonly tables = new Map<string, { index: number; step: number; slots: Record<string, Float32Array> }>();
  /** Slots sorted by row id (for large tables) and the radix sort's scratch. */
  private order: Int32Array = new Int32Array(0);
  private orderScratch: Int32Array = new Int32Array(0);
  private readonly counts = new Int32Array(RADIX);
  private readonly helper: HelperThread | null;
  /** Running estimates (ms) of one row's update on this thread and of the work run alongside. */
  private rowMs = 1e-4;
  private alongsideMs = 0;
  private readonly memory: KernelMemory | null;

  /**
   * With a `helper` thread, each step's rows are split between it and this thread; the tables must then be in
   * shared memory (EmbeddingStore's `shared` option), and the moments are allocated there too. With a kernel
   * `memory` (the store's), the moments live in it and rows whose arrays all do are updated by the SIMD kernels.
   */
  constructor(config: SparseOptimizerConfig, tables: readonly EmbeddingTable[], helper: HelperThread | null = null, memory: KernelMemory | null = null) {
    this.config = { ...config };
    this.lr = config.lr;
    this.helper = helper;
    this.memory = memory;
    const shared = helper !== null;
    const allocate = (n: number) => (memory ? memory.float32(n) : float32(n, shared));
    tables.forEach((t, index) => {
      const n = t.data.length;
      const slots: Record<string, Float32Array> =
        config.name === 'adam' ? { moments: allocate(2 * n) } : { sum: allocate(n).fill(config.initialAccumulator ?? 0) };
      this.tables.set(t.name, { index, step: 0, slots });
    });
  }

  /**
   * Updates the touched rows of each table in `grads` (one entry per table that the batch used). `alongside`
   * (e.g. the dense update) runs on this thread while the helper works, and the rows are split so that both
   * threads finish together (by running estimates of both costs; any split gives identical results).
   */
  update(grads: readonly SparseRowGrad[], alongside: (() => void) | null = null): void {
    let pendingAlongside = alongside;
    for (const g of grads) {
      const state = this.tables.get(g.table.name);
      if (!state) throw new OptmsmError('E_ENGINE_STATE', `sparse optimizer has no state for table ${g.table.name}`);
      state.step++;
      const c = this.config;
      const l2 = fr(c.l2 ?? 0);
      const { dim, data: p } = g.table;
      const { rows, grad, count } = g;
      const split = this.helper !== null && count >= MIN_SPLIT_ROWS ? this.mainShare(count, pendingAlongside !== null) : count;
      let params: number[];
      if (c.name === 'adam') {
        const beta1 = c.beta1 ?? 0.9;
        const beta2 = c.beta2 ?? 0.999;
        const stepSize = (this.lr * Math.sqrt(1 - beta2 ** state.step)) / (1 - beta1 ** state.step);
        params = [fr(1 - beta1), fr(1 - beta2), fr(c.eps ?? 1e-8), l2, fr(-stepSize)];
      } else {
        params = [fr(c.eps ?? 1e-10), 0, 0, l2, fr(-this.lr)];
      }
      const st = c.name === 'adam' ? state.slots.moments : state.slots.sum;
      let order: Int32Array | null = null;
      if (count >= SORT_MIN_ROWS) {
        if (this.order.length < count) {
          this.order = this.memory ? this.memory.int32(rows.length) : int32(rows.length, this.helper !== null);
          this.orderScratch = new Int32Array(rows.length);
        }
        order = this.order;
        if (g.table.rows <= SCAN_ROWS_PER_SLOT * count) slotsInRowOrder(g.slotOf, g.table.rows, order);
        else sortSlotsByRow(rows, count, g.table.rows - 1, order, this.orderScratch, this.counts);
      }
      const m = this.memory;
      const kernels = m !== null && [p, st, rows, grad, ...(order ? [order] : [])].every((a) => m.holds(a));
      // The rows [start, end) in adam_rows or adagrad_rows: pointers, then the scalars in the kernel's order.
      const rowsCall = (start: number, end: number): KernelCall => {
        const head = [m!.pointer(p), m!.pointer(st), m!.pointer(rows), order ? m!.pointer(order) : 0, m!.pointer(grad), dim, start, end];
        return c.name === 'adam'
          ? { name: 'adam_rows', args: [...head, params[0], params[1], params[2], l2, params[4]] }
          : { name: 'adagrad_rows', args: [...head, params[0], l2, params[4]] };
      };
      if (split < count) {
        if (kernels) this.helper!.startKernels([rowsCall(split, count)]);
        else this.helper!.start(c.name, state.index, { p, state: st, rows, order, grad, dim }, split, count, params);
      }
      try {
        if (pendingAlongside !== null && split < count) {
          const t0 = performance.now();
          pendingAlongside();
          pendingAlongside = null;
          this.alongsideMs = ema(this.alongsideMs, performance.now() - t0);
        }
        const t1 = performance.now();
        if (kernels) m.run(rowsCall(0, split));
        else if (c.name === 'adam') adamRows(p, st, rows, order, grad, dim, 0, split, params[0], params[1], params[2], l2, params[4]);
        else adagradRows(p, st, rows, order, grad, dim, 0, split, params[0], l2, params[4]);
        if (split > 0) this.rowMs = ema(this.rowMs, (performance.now() - t1) / split);
      } finally {
        if (split < count) this.helper!.wait();
      }
    }
    if (pendingAlongside !== null) pendingAlongside();
  }

  /** Rows this thread takes so that it and the helper finish together when it also runs `alongside`. */
  private mainShare(count: number, withAlongside: boolean): number {
    const total = count * this.rowMs + (withAlongside ? this.alongsideMs : 0);
    const mainRows = Math.round((total / 2 - (withAlongside ? this.alongsideMs : 0)) / this.rowMs);
    return Math.max(0, Math.min(count >> 1, mainRows));
  }

  /** With `copy` false the slots are live views (for writing a file without doubling the memory). */
  getState(copy = true): Record<string, OptimizerSlots> {
    const out: Record<string, OptimizerSlots> = {};
    for (const [name, s] of this.tables) {
      out[name] = { step: s.step, slots: Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, copy ? v.slice() : v])) };
    }
    return out;
  }

  setState(state: Record<string, OptimizerSlots>): void {
    for (const [name, s] of this.tables) {
      const saved = state[name];
      if (!saved) throw new OptmsmError('E_ENGINE_STATE', `saved sparse optimizer state lacks table ${name}`, { expected: name });
      for (const [slotName, slot] of Object.entries(s.slots)) {
        const values = saved.slots[slotName];
        if (!values || values.length !== slot.length) {
          throw new OptmsmError('E_ENGINE_STATE', `saved sparse optimizer state for ${name} lacks slot ${slotName} of ${slot.length} values`, {
            expected: `${slotName}[${slot.length}]`,
            found: values ? `${slotName}[${values.length}]` : 'none',
          });
        }
        slot.set(values);
      }
      s.step = saved.step;
    }
  }
}
