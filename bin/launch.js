// Every user entry point (CLI, npm start, benchmarks) goes through here, so the process always runs with the
// malloc settings of ../shared/design/engine.md: without them glibc hands freed buffers back to the OS and faults
// them in again on every training step (7-9 ms of a 20 ms step). The variables must be set before the process
// starts, so we re-execute Node once with them, with tsx loaded to run the TypeScript sources directly.
//
// The launcher stands between a supervisor (shell, systemd, a container runtime) and the real process, so it
// behaves like an init shim: the child runs in its own process group (a Ctrl-C from the terminal reaches the
// launcher only, and is forwarded once rather than twice), every termination signal is forwarded, Ctrl-Z stops
// both, and the launcher ends the way the child ended (same exit code, or killed by the same signal).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export const MALLOC_SETTINGS = {
  MALLOC_MMAP_THRESHOLD_: '67108864',
  MALLOC_TRIM_THRESHOLD_: '1073741824',
  MALLOC_TOP_PAD_: '67108864',
};

// SIGUSR1 stays with Node (it starts the inspector).
export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
const ownGroup = process.platform !== 'win32';

const tsxLoader = fileURLToPath(import.meta.resolve('tsx'));

/** Ends this process the way the child ended: its exit code, or the same signal (so a shell sees 128 + n). */
function exitLike(code, signal) {
  if (signal === null) {
    process.exitCode = code ?? 1;
    return;
  }
  process.exitCode = 128 + (constants.signals[signal] ?? 0);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal); // with no listener left, the default action ends the launcher here
}

/** Runs `script` (a .ts or .js file) with `args` in a child Node that has the malloc settings and tsx. */
export function launch(script, args) {
  const env = { ...process.env, ...MALLOC_SETTINGS, OPTMSM_LAUNCHED: '1' };
  const child = spawn(process.execPath, ['--import', tsxLoader, script, ...args], { stdio: 'inherit', env, detached: ownGroup });
  const forward = (signal) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  if (ownGroup) {
    // Job control: the terminal stops the launcher's group only, so stop the child's group with it.
    process.on('SIGTSTP', () => {
      process.kill(-child.pid, 'SIGSTOP');
      process.kill(process.pid, 'SIGSTOP');
    });
    process.on('SIGCONT', () => process.kill(-child.pid, 'SIGCONT'));
  }
  child.on('error', (error) => {
    process.stderr.write(`optmsm: could not start Node: ${error.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    for (const s of FORWARDED_SIGNALS) process.removeListener(s, forward);
    process.removeAllListeners('SIGTSTP');
    process.removeAllListeners('SIGCONT');
    exitLike(code, signal);
  });
}
