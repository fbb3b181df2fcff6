// npm run build:kernels: assembles src/engine/runtime/kernels/kernels.wat into kernels.wasm with wabt (the
// WebAssembly Binary Toolkit). The .wasm is committed, so installing and running never needs this step; a test
// checks that the committed binary is what the .wat assembles to.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

export const KERNELS_WAT = fileURLToPath(new URL('../src/engine/runtime/kernels/kernels.wat', import.meta.url));
export const KERNELS_WASM = fileURLToPath(new URL('../src/engine/runtime/kernels/kernels.wasm', import.meta.url));

export async function assembleKernels(): Promise<Uint8Array> {
  const wabt = await initWabt();
  const module = wabt.parseWat('kernels.wat', readFileSync(KERNELS_WAT, 'utf8'), { simd: true, threads: true });
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await assembleKernels();
  writeFileSync(KERNELS_WASM, bytes);
  console.log(`wrote ${KERNELS_WASM} (${bytes.length} bytes)`);
}
