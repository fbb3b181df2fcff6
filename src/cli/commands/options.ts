// Flag parsers shared by the commands: a bad value is a usage error naming the flag and what was expected.
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative number, got '${value}'`);
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError(`expected a TCP port from 0 to 65535, got '${value}'`);
  return n;
}

export function choice<T extends string>(values: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}, got '${value}'`);
    return value as T;
  };
}

export function nameList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('expected a comma-separated list of names');
  return names;
}

export function worldRole(value: string): 'tuning' | 'test' | 'all' {
  if (value === 'tuning' || value === 'test' || value === 'all') return value;
  throw new InvalidArgumentError(`expected tuning, test or all, got '${value}'`);
}

/** Plain lines on stderr, so stdout carries only results (tables, JSON). */
export const logLine = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
