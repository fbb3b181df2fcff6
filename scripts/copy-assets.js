// The build's second step (after tsc): every file under src/ that the compiled code reads at run time, i.e.
// every file that is not TypeScript (the WebAssembly kernels today), goes to the same place under dist/.
// kernels.wat is the source of kernels.wasm (npm run build:kernels), not an asset.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const NOT_ASSETS = new Set(['.ts', '.wat']);

for (const file of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: false })) {
  if (!extname(file) || NOT_ASSETS.has(extname(file))) continue;
  const to = join(root, 'dist', file);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(root, 'src', file), to);
}
