// Date and timestamp cells: one parse to seconds since 1970-01-01T00:00:00 UTC (text, epoch seconds or epoch
// milliseconds), the same in DuckDB (training, encodeFile) and in JavaScript (encodeRows at serving), and the
// parts a date feature derives from those seconds: hour, weekday, month, and days (since a reference).
import { literal } from '../duck.js';

export type DateFrom = 'text' | 'epoch_seconds' | 'epoch_milliseconds';
export type DatePart = 'hour' | 'weekday' | 'month';
export const DATE_PARTS: readonly DatePart[] = ['hour', 'weekday', 'month'];
/** How many values each part takes (its ids are idOf(0..n-1)). */
export const PART_VALUES: Readonly<Record<DatePart, number>> = { hour: 24, weekday: 7, month: 12 };
export const SECONDS_PER_DAY = 86400;

/** The text forms accepted: YYYY-MM-DD, then optionally [T or space]hh:mm[:ss[.fff]], then optionally Z (UTC). */
const TEXT = /^([1-9]\d{3})-(\d{1,2})-(\d{1,2})(?:[T ]([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,3}))?)?)?Z?$/;
export const DATE_TEXT_FORMS = 'YYYY-MM-DD[ hh:mm[:ss[.fff]]] (T or a space before the time, an optional Z; UTC)';

/**
 * Seconds since 1970-01-01T00:00:00 UTC of a raw cell: NaN when the cell is missing (null, empty), +Infinity when
 * it holds something that is not a date of the declared form.
 */
export function dateSeconds(value: unknown, from: DateFrom): number {
  if (value === null || value === undefined) return Number.NaN;
  const text = String(value).trim();
  if (text === '') return Number.NaN;
  if (from !== 'text') {
    const x = typeof value === 'number' ? value : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(x)) return Number.POSITIVE_INFINITY;
    return from === 'epoch_seconds' ? x : x / 1000;
  }
  const m = TEXT.exec(text);
  if (!m) return Number.POSITIVE_INFINITY;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((p) => Number(p ?? 0)) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '').padEnd(3, '0') || 0);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  // Date.UTC rolls an impossible date over (February 30 is March 2): such a cell is not a date.
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return Number.POSITIVE_INFINITY;
  return date.getTime() / 1000;
}

/** The same as dateSeconds, as a DuckDB expression over a VARCHAR expression. */
export function dateSecondsSql(cell: string, from: DateFrom): string {
  const text = `trim(${cell})`;
  const missing = `${cell} IS NULL OR ${text} = ''`;
  if (from !== 'text') {
    const x = `TRY_CAST(${text} AS DOUBLE)`;
    return `CASE WHEN ${missing} THEN 'NaN'::DOUBLE WHEN isfinite(${x}) THEN ${x}${from === 'epoch_milliseconds' ? ' / 1000.0' : ''} ELSE 'Infinity'::DOUBLE END`;
  }
  // Milliseconds as an integer, then / 1000: the same rounding as the JavaScript path.
  const ms = `epoch_ms(TRY_CAST(${text} AS TIMESTAMP))`;
  const form = literal(TEXT.source);
  return `CASE WHEN ${missing} THEN 'NaN'::DOUBLE WHEN regexp_full_match(${text}, ${form}) AND ${ms} IS NOT NULL THEN ${ms} / 1000.0 ELSE 'Infinity'::DOUBLE END`;
}

/** The value of a part (0-based: hour 0-23, weekday Monday = 0, month January = 0) of finite seconds. */
export function datePart(seconds: number, part: DatePart): number {
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  switch (part) {
    case 'hour':
      return Math.floor((seconds - days * SECONDS_PER_DAY) / 3600);
    case 'weekday':
      // 1970-01-01 was a Thursday.
      return (((days + 3) % 7) + 7) % 7;
    case 'month':
      return new Date(days * SECONDS_PER_DAY * 1000).getUTCMonth();
  }
}

/** Days since 1970-01-01 of finite (or NaN, or infinite) seconds: the value a `days` part starts from. */
export const epochDays = (seconds: number): number => seconds / SECONDS_PER_DAY;

/** Days since 1970-01-01 of a reference date given as text. */
export function referenceDays(text: string): number {
  return Math.floor(epochDays(dateSeconds(text, 'text')));
}
