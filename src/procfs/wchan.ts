/**
 * `/proc/<pid>/wchan`: the kernel symbol the task sleeps in. `""` and `"0"` (running, or hidden
 * from an unprivileged reader) both mean none and read as `""`, as in prometheus/procfs. The
 * content is not trimmed (the kernel writes no newline).
 */
import { type ProcInput, decodeUtf8, toBuffer } from './bytes.js';

export function parseWchan(input: ProcInput): string {
  const buf = toBuffer(input);
  return parseWchanBytes(buf, buf.length);
}

/** parseWchan over `buf[0, end)`; `decode` turns the symbol's bytes into a string (the reader interns them). */
export function parseWchanBytes(buf: Buffer, end: number, decode: (buf: Buffer, start: number, end: number) => string = decodeUtf8): string {
  if (end <= 0 || (end === 1 && buf[0] === 0x30)) return '';
  return decode(buf, 0, end);
}
