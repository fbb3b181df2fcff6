// The launcher between a supervisor and the real process: every termination signal reaches the child once, and
// the launcher ends as the child did (its exit code, or the same signal).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runJs = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/run.js');
const dir = mkdtempSync(join(tmpdir(), 'optmsm-launch-'));
const script = join(dir, 'child.ts');
// Handles the signals when asked to (then exits 40 + how many it got), else dies of them; exits 3 on its own.
writeFileSync(
  script,
  `const handle: boolean = process.argv[2] === 'handle';
let received = 0;
if (handle) for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, () => {
  received++;
  process.stdout.write('got ' + s + '\\n');
  setTimeout(() => process.exit(40 + received), 100);
});
process.stdout.write('ready\\n');
setTimeout(() => process.exit(3), process.argv[2] === 'quick' ? 0 : 20_000);
`,
);

function launched(mode: string, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const child = spawn(process.execPath, [runJs, script, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (signal && stdout.includes('ready')) {
      child.kill(signal);
      signal = undefined;
    }
  });
  return new Promise((done) => child.on('close', (code, sig) => done({ code, signal: sig, stdout })));
}

describe('bin/launch.js', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('forwards %s once and exits with the child\'s code', async (signal) => {
    const result = await launched('handle', signal);
    expect(result.stdout).toBe(`ready\ngot ${signal}\n`);
    expect(result.code).toBe(41);
  });

  it('dies of the signal that killed the child', async () => {
    const result = await launched('die', 'SIGTERM');
    expect(result.signal).toBe('SIGTERM');
  });

  it('passes the exit code through', async () => {
    expect((await launched('quick')).code).toBe(3);
  });
});
