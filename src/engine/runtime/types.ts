/** A batch as the runtime sees it (docs/architecture.md). */
export interface EngineBatch {
  size: number;
  /** Per embedding field, in field order: `size * maxLen` ids (maxLen 1 for single-id fields). */
  ids: Int32Array[];
  /** Other data inputs by graph input name (Uint8Array for bool inputs). */
  dense: Record<string, { data: Float32Array | Int32Array | Uint8Array; shape: number[] }>;
}
