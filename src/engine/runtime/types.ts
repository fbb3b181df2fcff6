// The parts of the core's compiled-model contract (docs/architecture.md) that the runtime reads. Kept
// structural so the runtime type-checks against the core's CompiledModel without a circular import.
import type { Dim, DType, Init } from '../tensor.js';

export type { Dim, DType, Init };

export interface RuntimeParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  readonly init: Init;
}

export interface RuntimeBufferSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly init: Init;
}

export interface RuntimeInputSpec {
  readonly name: string;
  readonly shape: readonly Dim[];
  readonly dtype: DType;
}

export interface RuntimeMaskSpec {
  readonly name: string;
  readonly shape: readonly Dim[];
  readonly rate: number;
}

export interface RuntimeCompiledModel {
  readonly training: Uint8Array;
  readonly inference: Uint8Array;
  readonly params: readonly RuntimeParamSpec[];
  readonly thetaSize: number;
  readonly buffers: readonly RuntimeBufferSpec[];
  readonly inputs: readonly RuntimeInputSpec[];
  readonly dropoutMasks: readonly RuntimeMaskSpec[];
}

/** A batch as the runtime sees it (docs/architecture.md). */
export interface EngineBatch {
  size: number;
  /** Per embedding field, in field order: `size * maxLen` ids (maxLen 1 for single-id fields). */
  ids: Int32Array[];
  /** Other data inputs by graph input name. */
  dense: Record<string, { data: Float32Array | Int32Array; shape: number[] }>;
}
