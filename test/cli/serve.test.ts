// `optmsm serve --help` states each default of the server's option schema (the flags leave the defaults to it),
// and a bad option value is a clear error, not a crash.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { serveOptionsSchema } from '../../src/serve/index.js';

const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/optmsm.js');
const optmsm = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('optmsm serve flags', () => {
  it('--help gives the schema default of every option it names', () => {
    const help = optmsm('serve', '--help').stdout.replace(/\n\s+/g, ' ');
    const defaults = serveOptionsSchema.parse({ run: 'x', workers: 1 }) as Record<string, unknown>;
    const stated = [...help.matchAll(/--([a-z-]+) <[^>]+> (?:(?! --)[^(])*\(default: ([^)]+)\)/g)].map(([, flag, value]) => [flag!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()), value!]);
    const checked = stated.filter(([key]) => key in defaults && key !== 'workers');
    expect(checked.map(([key]) => key).sort()).toEqual(Object.keys(defaults).filter((k) => !['run', 'workers', 'strict'].includes(k)).sort());
    for (const [key, value] of checked) expect(`${key}=${value}`).toBe(`${key}=${defaults[key!]}`);
  });

  it('a bad option value names the option', () => {
    const result = optmsm('serve', '--run', 'nowhere', '--log-level', 'loud');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('logLevel');
    expect(result.stderr).toContain('E_CONFIG_INVALID');
  });
});
