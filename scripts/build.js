// npm run build: tsc compiles src/ to dist/ (JavaScript, .d.ts, source maps), then every file under src/ that the
// compiled code reads at run time, i.e. every file that is not TypeScript (the WebAssembly kernels today), is copied
// to the same place under dist/ (kernels.wat is the source of kernels.wasm, not an asset).
// The build is incremental; `--clean` (npm's prepare, which runs after every install, and when npm packs the checkout
// for `npx optmsm`) recompiles everything, because tsc's incremental state keeps module resolutions from before the
// install (a package added since would stay unresolved). It drops that state and, after compiling, every output whose
// source is gone, rather than emptying dist/ first: a command or test started meanwhile finds the previous build
// (an empty dist/ for the 9 s of a compile made `npx optmsm` in the checkout break the CLI tests running beside it).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const NOT_ASSETS = new Set(['.ts', '.wat']);

const clean = process.argv.includes('--clean');
if (clean) rmSync(join(root, 'dist', '.tsbuildinfo'), { force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

for (const file of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: false })) {
  if (!extname(file) || NOT_ASSETS.has(extname(file))) continue;
  const to = join(root, 'dist', file);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(root, 'src', file), to);
}

/** The source under src/ that a file under dist/ was made from (compiled or copied). */
const sourceOf = (file) => file.replace(/\.d\.ts$|\.js\.map$|\.js$/, '.ts');
if (clean && existsSync(join(root, 'dist'))) {
  for (const file of readdirSync(join(root, 'dist'), { recursive: true, withFileTypes: false })) {
    if (file === '.tsbuildinfo' || !extname(file)) continue;
    if (!existsSync(join(root, 'src', sourceOf(file))) && !existsSync(join(root, 'src', file))) rmSync(join(root, 'dist', file));
  }
}
