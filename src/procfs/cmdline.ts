/**
 * `/proc/<pid>/cmdline`: argv.
 *
 * Mirrors prometheus/procfs `Proc.CmdLine()`: an empty file (kernel threads, zombies) is `[]`;
 * otherwise trailing NULs are trimmed and the rest is split on NUL, so a file of only NULs gives
 * `[""]`. Each argument is decoded as UTF-8 (invalid bytes become U+FFFD; see decodeUtf8).
 * Decoding before splitting is equivalent to decoding each argument, because NUL is never part of
 * a multi-byte sequence.
 */
import { type ProcInput, decodeUtf8, toBuffer } from './bytes.js';

export function parseCmdline(input: ProcInput): string[] {
  const buf = toBuffer(input);
  return parseCmdlineBytes(buf, buf.length);
}

export function parseCmdlineBytes(buf: Buffer, end: number): string[] {
  if (end <= 0) return [];
  let e = end;
  while (e > 0 && buf[e - 1] === 0) e--;
  return decodeUtf8(buf, 0, e).split('\0');
}
