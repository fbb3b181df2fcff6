// Tensors as the tracer sees them: a static shape (with at most one symbolic batch dim 'B'), a dtype and the
// id of the node that produces it in its trace. No values live here; values exist only inside ONNX Runtime.

export type Dim = number | 'B';
export type DType = 'float32' | 'int32' | 'bool';

export type Init =
  | { kind: 'xavier_uniform' | 'xavier_normal' | 'he_uniform' | 'he_normal' | 'zeros' | 'ones' }
  | { kind: 'normal'; std: number; mean?: number }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'constant'; value: number };

export class Tensor {
  constructor(
    readonly shape: readonly Dim[],
    readonly dtype: DType,
    /** Index of the producing node in its trace. */
    readonly id: number,
    /** The trace this tensor belongs to (mixing traces is a bug in the model code). */
    readonly traceId: number,
  ) {}

  get rank(): number {
    return this.shape.length;
  }
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}

export function hasBatch(shape: readonly Dim[]): boolean {
  return shape.includes('B');
}

/** Product of the static dims (the 'B' dim counts as 1). */
export function staticSize(shape: readonly Dim[]): number {
  return shape.reduce<number>((n, d) => (d === 'B' ? n : n * d), 1);
}

export function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** numpy broadcasting of two shapes, or null when they do not broadcast. 'B' only meets 'B' or 1. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] | null {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else return null;
  }
  return out;
}

/** Normalises a possibly negative axis; returns -1 when out of range. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : -1;
}
