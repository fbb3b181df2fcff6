// Every user entry point (CLI, npm start, benchmarks) goes through here, so the process always runs with the
// malloc settings of ../shared/design/engine.md: without them glibc hands freed buffers back to the OS and faults
// them in again on every training step (7-9 ms of a 20 ms step). The variables must be set before the process
// starts, so we re-execute Node once with them, with tsx loaded to run the TypeScript sources directly.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MALLOC_SETTINGS = {
  MALLOC_MMAP_THRESHOLD_: '67108864',
  MALLOC_TRIM_THRESHOLD_: '1073741824',
  MALLOC_TOP_PAD_: '67108864',
};

const tsxLoader = fileURLToPath(import.meta.resolve('tsx'));

/** Runs `script` (a .ts or .js file) with `args` in a child Node that has the malloc settings and tsx. */
export function launch(script, args) {
  const env = { ...process.env, ...MALLOC_SETTINGS, OPTMSM_LAUNCHED: '1' };
  const result = spawnSync(process.execPath, ['--import', tsxLoader, script, ...args], { stdio: 'inherit', env });
  if (result.error) {
    process.stderr.write(`optmsm: could not start Node: ${result.error.message}\n`);
    return 1;
  }
  if (result.signal) process.kill(process.pid, result.signal);
  return result.status ?? 1;
}
