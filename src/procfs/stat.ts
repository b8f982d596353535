/**
 * `/proc/<pid>/stat` and `/proc/<pid>/task/<tid>/stat` (proc(5)).
 *
 * Mirrors prometheus/procfs `Proc.Stat()`: comm is the text between the FIRST `(` and the LAST
 * `)` (a comm may contain spaces, parentheses and newlines; the kernel truncates it to 15 bytes
 * but does not escape it), then whitespace-separated fields from field 3 on, all of which must
 * be numbers up to rss (field 24). Later fields are ignored.
 */
import type { ProcStat } from './types.js';
import { type ProcInput, decodeUtf8, indexOfByte, isSpace, parseIntAt, parseUintAt, toBuffer, trimEnd, trimStart } from './bytes.js';

const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const LAST_FIELD = 24;

/**
 * Bit n set = field n is signed (`%d`/`%ld` in proc(5)), so Go's Fscan into an int accepts a sign;
 * the others are `%u`/`%lu`/`%llu` and must be plain digits.
 * Signed: 4-8 (ppid, pgrp, session, tty_nr, tpgid), 16-21 (cutime … itrealvalue), 24 (rss).
 */
const SIGNED_FIELDS = (0b11111 << 4) | (0b111111 << 16) | (1 << 24);

/**
 * Parses a stat file. `pid` overrides the file's first field, as procfs does (it takes the pid
 * from the directory name and never reads field 1). Undefined on garbage or truncated input.
 */
export function parseStat(input: ProcInput, pid?: number): ProcStat | undefined {
  const buf = toBuffer(input);
  const f = new StatScan();
  if (!scanStat(buf, buf.length, pid, f)) return undefined;
  const { commStart, commEnd, ...fields } = f;
  return { ...fields, comm: decodeUtf8(buf, commStart, commEnd) };
}

/**
 * The fields of a stat file, filled in place by scanStat (the reader's hot path scans into one reused
 * instance); comm is the byte range `[commStart, commEnd)` of the scanned buffer.
 */
export class StatScan {
  pid = 0;
  commStart = 0;
  commEnd = 0;
  state = '';
  ppid = 0;
  minflt = 0;
  majflt = 0;
  utime = 0;
  stime = 0;
  numThreads = 0;
  starttime = 0;
  vsize = 0;
  rss = 0;
}

/**
 * Parses `buf[0, end)` into `out` without allocating (except a state token longer than one byte).
 * False on garbage or truncated input, with `out` partly overwritten.
 */
export function scanStat(buf: Buffer, end: number, pid: number | undefined, out: StatScan): boolean {
  const open = indexOfByte(buf, OPEN_PAREN, 0, end);
  if (open >= end) return false;
  // Searching backwards from end - 1 never sees the stale bytes after the content.
  const close = buf.lastIndexOf(CLOSE_PAREN, end - 1);
  if (close <= open) return false;

  if (pid === undefined) {
    const s = trimStart(buf, 0, open);
    const id = parseIntAt(buf, s, trimEnd(buf, s, open));
    if (Number.isNaN(id)) return false;
    out.pid = id;
  } else {
    out.pid = pid;
  }
  out.commStart = open + 1;
  out.commEnd = close;

  let pos = close + 1;
  for (let field = 3; field <= LAST_FIELD; field++) {
    while (pos < end && isSpace(buf[pos] ?? 0)) pos++;
    if (pos >= end) return false;
    const start = pos;
    while (pos < end && !isSpace(buf[pos] ?? 0)) pos++;

    if (field === 3) {
      // Go scans the state into a string: the whole token, normally one letter.
      out.state = pos - start === 1 ? String.fromCharCode(buf[start] ?? 0) : decodeUtf8(buf, start, pos);
      continue;
    }
    const value = ((SIGNED_FIELDS >>> field) & 1) === 1 ? parseIntAt(buf, start, pos) : parseUintAt(buf, start, pos);
    if (Number.isNaN(value)) return false;
    switch (field) {
      case 4:
        out.ppid = value;
        break;
      case 10:
        out.minflt = value;
        break;
      case 12:
        out.majflt = value;
        break;
      case 14:
        out.utime = value;
        break;
      case 15:
        out.stime = value;
        break;
      case 20:
        out.numThreads = value;
        break;
      case 22:
        out.starttime = value;
        break;
      case 23:
        out.vsize = value;
        break;
      case 24:
        out.rss = value;
        break;
      default:
        break;
    }
  }
  return true;
}
