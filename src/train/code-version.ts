// The version of the code a run was trained with, recorded in config.json and the manifest and compared on
// --resume: the git commit of this checkout, with a hash of uncommitted changes under src/ when there are any
// (so resuming after an edit is caught), or the package version for an installed copy.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: src/train/ and dist/train/ are both two levels below it. */
const root = resolve(fileURLToPath(new URL('../../', import.meta.url)));

const git = (...args: string[]): string =>
  execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string; version?: string };
  return `${pkg.name ?? 'optmsm'}@${pkg.version ?? 'unknown'}`;
}

function fromGit(): string | null {
  try {
    // An installed copy inside someone else's repository must not take that repository's commit.
    if (resolve(git('rev-parse', '--show-toplevel').trim()) !== root) return null;
    const commit = git('rev-parse', '--short', 'HEAD').trim();
    const untracked = git('ls-files', '--others', '--exclude-standard', '--', 'src').split('\n').filter(Boolean);
    const diff = git('diff', 'HEAD', '--', 'src');
    if (diff === '' && untracked.length === 0) return commit;
    const h = createHash('sha256').update(diff);
    for (const f of untracked.sort()) h.update(`\0${f}\0`).update(readFileSync(join(root, f)));
    return `${commit}+dirty.${h.digest('hex').slice(0, 10)}`;
  } catch {
    return null;
  }
}

let cached: string | null = null;

/** The commit (with +dirty.<hash of the uncommitted src/ changes>), or name@version outside a git checkout. */
export function codeVersion(): string {
  cached ??= fromGit() ?? packageVersion();
  return cached;
}
