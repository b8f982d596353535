/**
 * `/proc/<pid>/io`: `read_bytes` and `write_bytes` (the storage layer, not rchar/wchar).
 *
 * procfs scans the whole file with one fixed format, so any deviation is an error, which
 * process-exporter treats as a soft failure (both values 0). Here the two lines are looked up by
 * key and both must be present and numeric; the order of the other lines does not matter.
 */
import type { ProcIo } from './types.js';
import { type ProcInput, ascii, lineEnd, parseUintAt, startsWithAt, toBuffer, trimEnd, trimStart } from './bytes.js';

const READ_BYTES = ascii('read_bytes:');
const WRITE_BYTES = ascii('write_bytes:');

export function parseIo(input: ProcInput): ProcIo | undefined {
  const buf = toBuffer(input);
  const out: MutableIo = { readBytes: 0, writeBytes: 0 };
  return parseIoInto(buf, buf.length, out) ? out : undefined;
}

export type MutableIo = { -readonly [K in keyof ProcIo]: ProcIo[K] };

/** parseIo over `buf[0, end)` into `out`, allocating nothing; false when malformed (`out` untouched). */
export function parseIoInto(buf: Buffer, end: number, out: MutableIo): boolean {
  let readBytes = NaN;
  let writeBytes = NaN;
  let pos = 0;
  while (pos < end) {
    const eol = lineEnd(buf, pos, end);
    if (startsWithAt(buf, pos, eol, READ_BYTES)) {
      const s = trimStart(buf, pos + READ_BYTES.length, eol);
      readBytes = parseUintAt(buf, s, trimEnd(buf, s, eol));
    } else if (startsWithAt(buf, pos, eol, WRITE_BYTES)) {
      const s = trimStart(buf, pos + WRITE_BYTES.length, eol);
      writeBytes = parseUintAt(buf, s, trimEnd(buf, s, eol));
    }
    pos = eol + 1;
  }
  if (Number.isNaN(readBytes) || Number.isNaN(writeBytes)) return false;
  out.readBytes = readBytes;
  out.writeBytes = writeBytes;
  return true;
}
