/**
 * Byte-level helpers shared by the procfs parsers.
 *
 * The parsers work on a Buffer plus an end offset, because the reader reads every file into one
 * reused Buffer whose tail holds stale bytes from earlier, longer files. Nothing here allocates
 * except the string decoders (and toBuffer, for string input).
 */

/** What a public parser accepts: the file's text, or its raw bytes. */
export type ProcInput = string | Uint8Array;

/**
 * uint64's maximum, 2^64 - 1, as a float: it rounds to 2^64 = 1.8446744073709552e19, which is also
 * what Go's float64(math.MaxUint64) gives (e.g. the fd limit `unlimited`).
 */
export const UINT64_MAX = 2 ** 64;

/** A view of the input as a Buffer; strings are encoded as UTF-8, byte arrays are not copied. */
export function toBuffer(input: ProcInput): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (Buffer.isBuffer(input)) return input;
  return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/**
 * Kernel strings (comm, argv, cgroup paths, wchan) are bytes with no declared encoding. They are
 * decoded as UTF-8 and every invalid sequence becomes U+FFFD (Buffer#toString semantics), so a
 * label value is always valid UTF-8. Go keeps the raw bytes instead; the two only differ on bytes
 * that are not UTF-8, which client_golang refuses as label values anyway.
 */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  return start >= end ? '' : buf.toString('utf8', start, end);
}

/** ASCII whitespace as Go's fmt.Fscan and strings.TrimSpace see it for ASCII input. */
export function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * `buf[start, end)` as an unsigned decimal (Go strconv.ParseUint base 10): digits only, no sign,
 * no spaces. NaN when empty, not a number, or beyond 2^64 - 1. Values above 2^53 are rounded to
 * the nearest double, which is the precision every consumer (float metrics) has anyway.
 */
export function parseUintAt(buf: Uint8Array, start: number, end: number): number {
  if (start >= end) return NaN;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = (buf[i] ?? 0) - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value > UINT64_MAX ? NaN : value;
}

/** Like parseUintAt but allows one leading `+` or `-` (Go strconv.ParseInt / Fscan into an int). */
export function parseIntAt(buf: Uint8Array, start: number, end: number): number {
  const sign = buf[start];
  if (sign === 0x2d) return -parseUintAt(buf, start + 1, end);
  if (sign === 0x2b) return parseUintAt(buf, start + 1, end);
  return parseUintAt(buf, start, end);
}

/** True when `buf[pos, end)` starts with `prefix`. */
export function startsWithAt(buf: Uint8Array, pos: number, end: number, prefix: Uint8Array): boolean {
  const n = prefix.length;
  if (end - pos < n) return false;
  for (let i = 0; i < n; i++) {
    if (buf[pos + i] !== prefix[i]) return false;
  }
  return true;
}

/** True when `buf[start, end)` is exactly `word`. */
export function equalsAt(buf: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  return end - start === word.length && startsWithAt(buf, start, end, word);
}

/** The ASCII bytes of a literal, for comparisons with startsWithAt/equalsAt. */
export function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

/** Index of the first `byte` in `buf[pos, end)`, or `end`: a plain loop, for short spans. */
export function indexOfByte(buf: Uint8Array, byte: number, pos: number, end: number): number {
  let i = pos;
  while (i < end && buf[i] !== byte) i++;
  return i;
}

/**
 * Index of the next `\n` in `buf[pos, end)`, or `end` when the last line has none. Buffer#indexOf
 * (memchr) beats a JS loop from about 20 bytes on, and procfs lines are longer. Only a final line
 * without a newline makes it look past `end`, into stale bytes, which the bound check discards.
 */
export function lineEnd(buf: Buffer, pos: number, end: number): number {
  const i = buf.indexOf(0x0a, pos);
  return i < 0 || i > end ? end : i;
}

/** Start of `buf[start, end)` with leading whitespace skipped. */
export function trimStart(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && isSpace(buf[i] ?? 0)) i++;
  return i;
}

/** End of `buf[start, end)` with trailing whitespace dropped. */
export function trimEnd(buf: Uint8Array, start: number, end: number): number {
  let i = end;
  while (i > start && isSpace(buf[i - 1] ?? 0)) i--;
  return i;
}
