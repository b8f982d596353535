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
  return parseStatBytes(buf, buf.length, pid);
}

/** parseStat over `buf[0, end)`; the hot-path entry point (no copies, one string for comm). */
export function parseStatBytes(buf: Buffer, end: number, pid?: number): ProcStat | undefined {
  const open = indexOfByte(buf, OPEN_PAREN, 0, end);
  if (open >= end) return undefined;
  // Searching backwards from end - 1 never sees the stale bytes after the content.
  const close = buf.lastIndexOf(CLOSE_PAREN, end - 1);
  if (close <= open) return undefined;

  let id: number;
  if (pid === undefined) {
    const s = trimStart(buf, 0, open);
    id = parseIntAt(buf, s, trimEnd(buf, s, open));
    if (Number.isNaN(id)) return undefined;
  } else {
    id = pid;
  }

  let state = '';
  let ppid = 0;
  let minflt = 0;
  let majflt = 0;
  let utime = 0;
  let stime = 0;
  let numThreads = 0;
  let starttime = 0;
  let vsize = 0;
  let rss = 0;

  let pos = close + 1;
  for (let field = 3; field <= LAST_FIELD; field++) {
    while (pos < end && isSpace(buf[pos] ?? 0)) pos++;
    if (pos >= end) return undefined;
    const start = pos;
    while (pos < end && !isSpace(buf[pos] ?? 0)) pos++;

    if (field === 3) {
      // Go scans the state into a string: the whole token, normally one letter.
      state = pos - start === 1 ? String.fromCharCode(buf[start] ?? 0) : decodeUtf8(buf, start, pos);
      continue;
    }
    const value = ((SIGNED_FIELDS >>> field) & 1) === 1 ? parseIntAt(buf, start, pos) : parseUintAt(buf, start, pos);
    if (Number.isNaN(value)) return undefined;
    switch (field) {
      case 4:
        ppid = value;
        break;
      case 10:
        minflt = value;
        break;
      case 12:
        majflt = value;
        break;
      case 14:
        utime = value;
        break;
      case 15:
        stime = value;
        break;
      case 20:
        numThreads = value;
        break;
      case 22:
        starttime = value;
        break;
      case 23:
        vsize = value;
        break;
      case 24:
        rss = value;
        break;
      default:
        break;
    }
  }

  return {
    pid: id,
    comm: decodeUtf8(buf, open + 1, close),
    state,
    ppid,
    minflt,
    majflt,
    utime,
    stime,
    numThreads,
    starttime,
    vsize,
    rss,
  };
}
