// Hashed features: a stable 64-bit hash (xxhash64, seed 0, over the UTF-8 bytes) modulo the bucket count, shifted
// by 2 so that id 0 (padding) and id 1 (OOV) stay reserved. The same on every run and machine.
import xxhash from 'xxhash-wasm';

const api = await xxhash();

export function hashId(value: string, buckets: number): number {
  return Number(api.h64(value, 0n) % BigInt(buckets)) + 2;
}
