/**
 * `/proc/<pid>/limits`: the soft "Max open files" limit.
 *
 * Mirrors prometheus/procfs `Proc.Limits()`: the header line is skipped and every other line must
 * look like `Max <name>  <soft>  <hard> [units]` (name, then two or more blanks, then two words),
 * otherwise the whole file fails to parse. process-exporter treats that as a hard failure. A file
 * without a "Max open files" line reads as limit 0, as in procfs. `unlimited` is 2^64 - 1, which
 * is 1.8446744073709552e19 as a float.
 */
import {
  type ProcInput,
  UINT64_MAX,
  ascii,
  equalsAt,
  indexOfByte,
  isSpace,
  lineEnd,
  parseUintAt,
  startsWithAt,
  toBuffer,
} from './bytes.js';

const MAX_PREFIX = ascii('Max ');
const OPEN_FILES = ascii('Max open files');
const UNLIMITED = ascii('unlimited');
const CR = 0x0d;
const SP = 0x20;
/** A kernel row, `%-25s %-20s %-20s %-10s`, without its newline. */
const KERNEL_ROW = 78;
const SOFT_COLUMN = 26;
const HARD_COLUMN = 47;

/** The soft open-files limit, or undefined when the file does not parse. */
export function parseLimits(input: ProcInput): number | undefined {
  const buf = toBuffer(input);
  return parseLimitsBytes(buf, buf.length);
}

export function parseLimitsBytes(buf: Buffer, end: number): number | undefined {
  let openFiles = 0;
  let pos = lineEnd(buf, 0, end) + 1; // header
  while (pos < end) {
    const next = lineEnd(buf, pos, end);
    // Go's bufio.Scanner drops one trailing \r.
    const eol = next > pos && buf[next - 1] === CR ? next - 1 : next;

    if (!startsWithAt(buf, pos, eol, MAX_PREFIX)) return undefined;

    // Fast path for the kernel's fixed-width rows: the name ends before column 24 and the two
    // limits start at fixed columns, so only the open-files row needs scanning.
    if (
      eol - pos === KERNEL_ROW &&
      buf[pos + SOFT_COLUMN - 2] === SP &&
      buf[pos + SOFT_COLUMN - 1] === SP &&
      isWordChar(buf[pos + SOFT_COLUMN] ?? 0) &&
      buf[pos + HARD_COLUMN - 1] === SP &&
      isWordChar(buf[pos + HARD_COLUMN] ?? 0)
    ) {
      if (equalsAt(buf, pos, pos + OPEN_FILES.length, OPEN_FILES) && buf[pos + OPEN_FILES.length] === SP) {
        const softStart = pos + SOFT_COLUMN;
        const value = softValue(buf, softStart, indexOfByte(buf, SP, softStart, pos + HARD_COLUMN));
        if (Number.isNaN(value)) return undefined;
        openFiles = value;
      }
      pos = next + 1;
      continue;
    }

    // Any other layout: `Max <name>`, ending at the first run of two blanks.
    let i = pos + MAX_PREFIX.length;
    while (i + 1 < eol && !(isSpace(buf[i] ?? 0) && isSpace(buf[i + 1] ?? 0))) i++;
    if (i + 1 >= eol) return undefined;
    const isOpenFiles = equalsAt(buf, pos, i, OPEN_FILES);
    // The soft limit: one word, then blanks, then the hard limit word.
    while (i < eol && isSpace(buf[i] ?? 0)) i++;
    const softStart = i;
    while (i < eol && isWordChar(buf[i] ?? 0)) i++;
    const softEnd = i;
    if (softEnd === softStart || softEnd >= eol || !isSpace(buf[softEnd] ?? 0)) return undefined;
    while (i < eol && isSpace(buf[i] ?? 0)) i++;
    if (i >= eol || !isWordChar(buf[i] ?? 0)) return undefined;

    if (isOpenFiles) {
      const value = softValue(buf, softStart, softEnd);
      if (Number.isNaN(value)) return undefined;
      openFiles = value;
    }
    pos = next + 1;
  }
  return openFiles;
}

/** `unlimited` or a uint; NaN otherwise. */
function softValue(buf: Buffer, start: number, end: number): number {
  return equalsAt(buf, start, end, UNLIMITED) ? UINT64_MAX : parseUintAt(buf, start, end);
}

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}
