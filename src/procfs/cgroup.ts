/**
 * `/proc/<pid>/cgroup`: the path (third `:`-separated field) of each line, in file order.
 *
 * Mirrors prometheus/procfs `parseCgroupString`: each line is `hierarchy-ID:controllers:path`
 * (cgroup v1 `4:memory:/x`, v2 `0::/x`); the path keeps any further colons. A line with fewer than
 * three fields, or a hierarchy ID that is not an integer, fails the whole file (process-exporter
 * then uses `[]`). Paths are decoded as UTF-8 (see decodeUtf8).
 */
import { type ProcInput, decodeUtf8, indexOfByte, lineEnd, parseIntAt, toBuffer } from './bytes.js';

const COLON = 0x3a;
const CR = 0x0d;

export function parseCgroup(input: ProcInput): string[] | undefined {
  const buf = toBuffer(input);
  return parseCgroupBytes(buf, buf.length);
}

export function parseCgroupBytes(buf: Buffer, end: number): string[] | undefined {
  const paths: string[] = [];
  let pos = 0;
  while (pos < end) {
    const next = lineEnd(buf, pos, end);
    // Go's bufio.Scanner drops one trailing \r.
    const eol = next > pos && buf[next - 1] === CR ? next - 1 : next;
    const first = indexOfByte(buf, COLON, pos, eol);
    if (first >= eol) return undefined;
    const second = indexOfByte(buf, COLON, first + 1, eol);
    if (second >= eol) return undefined;
    if (Number.isNaN(parseIntAt(buf, pos, first))) return undefined;
    paths.push(decodeUtf8(buf, second + 1, eol));
    pos = next + 1;
  }
  return paths;
}
