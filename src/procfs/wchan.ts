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

export function parseWchanBytes(buf: Buffer, end: number): string {
  if (end <= 0 || (end === 1 && buf[0] === 0x30)) return '';
  return decodeUtf8(buf, 0, end);
}
