// Every error code is documented (as Fastify checks its catalogue against docs/Reference/Errors.md).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode, HTTP_STATUS, OptmsmError } from '../src/errors.js';

const docs = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../docs/errors.md'), 'utf8');

describe('error catalogue', () => {
  it.each(Object.keys(ERROR_CODES) as ErrorCode[])('%s is documented in docs/errors.md with its HTTP status', (code) => {
    expect(docs).toContain(`| \`${code}\` | ${HTTP_STATUS[code]} |`);
  });

  it('prints one readable block with location, expectation and code', () => {
    const error = new OptmsmError('E_DATA_MISSING_COLUMN', 'column "age" is not in data.csv', {
      location: 'data.csv',
      expected: 'a column named age',
      found: 'user_id, item_id',
    });
    expect(error.pretty()).toBe(
      [
        '✖ column "age" is not in data.csv → at data.csv',
        '  expected: a column named age',
        '  found:    user_id, item_id',
        '  [E_DATA_MISSING_COLUMN]',
      ].join('\n'),
    );
  });
});
