/**
 * `<root>/stat` (the system-wide one): `btime`, boot time in whole seconds since the epoch.
 *
 * procfs reads the line as `btime <uint>`. A missing or malformed btime is undefined here; procfs
 * would silently use 0 when the line is absent, which would date every process to 1970.
 */
import { type ProcInput, ascii, isSpace, lineEnd, parseUintAt, startsWithAt, toBuffer, trimEnd, trimStart } from './bytes.js';

const BTIME = ascii('btime');

export function parseBootTime(input: ProcInput): number | undefined {
  const buf = toBuffer(input);
  return parseBootTimeBytes(buf, buf.length);
}

export function parseBootTimeBytes(buf: Buffer, end: number): number | undefined {
  let pos = 0;
  while (pos < end) {
    const eol = lineEnd(buf, pos, end);
    if (startsWithAt(buf, pos, eol, BTIME) && isSpace(buf[pos + BTIME.length] ?? 0)) {
      const s = trimStart(buf, pos + BTIME.length, eol);
      const value = parseUintAt(buf, s, trimEnd(buf, s, eol));
      return Number.isNaN(value) ? undefined : value;
    }
    pos = eol + 1;
  }
  return undefined;
}
