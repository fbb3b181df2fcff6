// The launcher of the processes that train: it re-executes Node once with the malloc settings of
// ../shared/design/engine.md. Without them glibc hands freed buffers back to the OS and faults them in again on
// every training step (7-9 ms of a 20 ms step); the variables must be set before the process starts, hence the
// re-exec. Commands that do not train run in-process (bin/optmsm.js): bench/README.md measures both paths.
//
// The launcher stands between a supervisor (shell, systemd, a container runtime) and the real process, so it
// behaves like an init shim: the child runs in its own process group (a Ctrl-C from the terminal reaches the
// launcher only, and is forwarded once rather than twice), every termination signal is forwarded, Ctrl-Z stops
// both, and the launcher ends the way the child ended (same exit code, or killed by the same signal).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export const MALLOC_SETTINGS = {
  MALLOC_MMAP_THRESHOLD_: '67108864',
  MALLOC_TRIM_THRESHOLD_: '1073741824',
  MALLOC_TOP_PAD_: '67108864',
};

// SIGUSR1 stays with Node (it starts the inspector).
export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
const ownGroup = process.platform !== 'win32';

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

/** Whether this process already started with the malloc settings (set by a launcher, or by the user). */
export function hasMallocSettings(env = process.env) {
  return Object.keys(MALLOC_SETTINGS).every((key) => env[key] !== undefined);
}

/** Runs `script` with `args` in a child Node (with `nodeArgs`, e.g. a loader) that has the malloc settings. */
export function launch(script, args, nodeArgs = []) {
  const env = { ...process.env, ...MALLOC_SETTINGS };
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: 'inherit', env, detached: ownGroup });
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
