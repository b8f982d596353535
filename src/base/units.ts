/** Parsers for the human-written durations and sizes of the sink config. Pure. */

import { err, ok, type Result } from './result.js';

const DURATION_UNITS_MS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/**
 * Parses a Prometheus-style duration (`10s`, `500ms`, `1m30s`, `2h`, `1d`, or `0`) into milliseconds.
 * Units must appear at most once each, largest first, with integer amounts, as in Prometheus' model.ParseDuration.
 */
export function parseDurationMs(text: string): Result<number, string> {
  const s = text.trim();
  if (s === '0') return ok(0);
  const re = /^(\d+)(ms|d|h|m|s)/;
  let rest = s;
  let total = 0;
  let lastUnitIndex = -1;
  if (rest === '') return err(`invalid duration "${text}": empty`);
  while (rest !== '') {
    const m = re.exec(rest);
    if (m === null) return err(`invalid duration "${text}": expected <integer><unit> with unit d, h, m, s or ms`);
    const amount = Number(m[1]);
    const unit = m[2] ?? '';
    const unitIndex = DURATION_UNITS_MS.findIndex(([u]) => u === unit);
    const entry = DURATION_UNITS_MS[unitIndex];
    if (entry === undefined || unitIndex <= lastUnitIndex) {
      return err(`invalid duration "${text}": units must be in decreasing order and appear once`);
    }
    lastUnitIndex = unitIndex;
    total += amount * entry[1];
    rest = rest.slice(m[0].length);
  }
  if (!Number.isSafeInteger(total)) return err(`invalid duration "${text}": too large`);
  return ok(total);
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  B: 1,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** Parses a byte size: a non-negative integer, or a number with a unit (`512KiB`, `1MiB`, `2MB`). */
export function parseByteSize(value: number | string): Result<number, string> {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? ok(value) : err(`invalid size ${value}: expected a non-negative integer`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = m?.[2] ?? '';
  const factor = Object.hasOwn(SIZE_UNITS, unit) ? SIZE_UNITS[unit] : undefined;
  if (m === null || factor === undefined) {
    return err(`invalid size "${value}": expected bytes or a number with B, KB, MB, GB, KiB, MiB or GiB`);
  }
  const bytes = Math.floor(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) ? ok(bytes) : err(`invalid size "${value}": too large`);
}
