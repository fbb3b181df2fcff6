// Hashed features: a stable 64-bit hash (xxhash64, seed 0, over the UTF-8 bytes) modulo the bucket count, shifted
// past the reserved ids (padding, OOV). The same on every run and machine.
import xxhash from 'xxhash-wasm';
import { idOf } from '../contracts.js';

const api = await xxhash();

export function hashId(value: string, buckets: number): number {
  return idOf(Number(api.h64(value, 0n) % BigInt(buckets)));
}
