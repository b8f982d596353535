/**
 * Little-endian binary encoding for procpush's own files (the state file, its journal, the remote-write
 * queue files): a growable writer, a bounds-checked reader that never throws, unsigned LEB128 varints
 * up to 2^53, and CRC-32. Pure.
 */

import * as zlib from 'node:zlib';

// ---------------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, the zlib/PNG one): zlib's native one (Node >= 20.15, ~20x faster), else a table.

const nativeCrc32: ((data: Uint8Array) => number) | undefined = typeof zlib.crc32 === 'function' ? (data) => zlib.crc32(data) : undefined;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `bytes[0, end)`. */
export function crc32(bytes: Uint8Array, end = bytes.length): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(end === bytes.length ? bytes : bytes.subarray(0, end));
  return tableCrc32(bytes, end);
}

/** The portable CRC-32 (exported for the test that checks both agree). */
export function tableCrc32(bytes: Uint8Array, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = 0; i < end; i++) c = (CRC_TABLE[(c ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// Numbers.

/** Largest integer a varint here carries: every value up to it round-trips exactly. */
export const MAX_VARINT = Number.MAX_SAFE_INTEGER;

/** Below this, `num` stores integers (×4) and hundredths (×4+1) as varints; anything else as a float64. */
const NUM_SMALL_LIMIT = 2 ** 50;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** A growable byte buffer. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(initialBytes = 4096) {
    this.#buf = new Uint8Array(Math.max(16, initialBytes));
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  /** Forgets the content (keeps the memory). */
  reset(): void {
    this.#len = 0;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.#room(1);
    this.#buf[this.#len++] = v & 0xff;
  }

  u32(v: number): void {
    this.#room(4);
    this.#view.setUint32(this.#len, v >>> 0, true);
    this.#len += 4;
  }

  f64(v: number): void {
    this.#room(8);
    this.#view.setFloat64(this.#len, v, true);
    this.#len += 8;
  }

  /** Unsigned LEB128 of an integer in [0, 2^53). */
  varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint out of range: ${v}`);
    this.#room(8);
    let n = v;
    while (n >= 0x80) {
      this.#buf[this.#len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#len++] = n;
  }

  /** A signed integer, zigzag-encoded (small magnitudes of either sign stay short). */
  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /**
   * Any number, as short as it exactly allows: a non-negative integer below 2^50 as varint(4n), a
   * non-negative number of hundredths below 2^50 (CPU seconds read in USER_HZ ticks) as
   * varint(4n+1), anything else as varint(2) and the float64.
   */
  num(v: number): void {
    if (v >= 0 && v < NUM_SMALL_LIMIT) {
      if (Number.isInteger(v)) {
        this.varint(v * 4);
        return;
      }
      const hundredths = Math.round(v * 100);
      if (hundredths / 100 === v && hundredths < NUM_SMALL_LIMIT) {
        this.varint(hundredths * 4 + 1);
        return;
      }
    }
    this.varint(2);
    this.f64(v);
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** A length-prefixed UTF-8 string. */
  str(s: string): void {
    const b = utf8Encoder.encode(s);
    this.varint(b.length);
    this.bytes(b);
  }

  /** Overwrites a u32 written earlier at `at`. */
  patchU32(at: number, v: number): void {
    this.#view.setUint32(at, v >>> 0, true);
  }

  /** The bytes written so far (a view: valid until the next write). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Raised by ByteReader on malformed input; caught by the decoders, never escapes them. */
export class DecodeError extends Error {}

/** Reads what ByteWriter wrote. Every read is bounds-checked and throws DecodeError on malformed input. */
export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = start;
    this.#end = end;
  }

  get pos(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  #need(n: number, what: string): void {
    if (this.#pos + n > this.#end) throw new DecodeError(`truncated: ${what} at byte ${this.#pos}`);
  }

  u8(what = 'byte'): number {
    this.#need(1, what);
    return this.#buf[this.#pos++] ?? 0;
  }

  u32(what = 'u32'): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  f64(what = 'float64'): number {
    this.#need(8, what);
    const v = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return v;
  }

  varint(what = 'varint'): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8(what);
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(v)) throw new DecodeError(`${what} out of range at byte ${this.#pos}`);
        return v;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`${what}: varint too long at byte ${this.#pos}`);
  }

  zigzag(what = 'signed varint'): number {
    const z = this.varint(what);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  num(what = 'number'): number {
    const z = this.varint(what);
    switch (z % 4) {
      case 0:
        return z / 4;
      case 1:
        return (z - 1) / 4 / 100;
      default:
        if (z !== 2) throw new DecodeError(`${what}: unknown number tag ${z} at byte ${this.#pos}`);
        return this.f64(what);
    }
  }

  /** A count of items that each take at least `minBytes`: refused when the input cannot hold them. */
  count(what: string, minBytes = 1): number {
    const n = this.varint(what);
    if (n * minBytes > this.remaining) throw new DecodeError(`${what}: ${n} entries cannot fit in ${this.remaining} bytes`);
    return n;
  }

  bytes(n: number, what = 'bytes'): Uint8Array {
    this.#need(n, what);
    const b = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return b;
  }

  str(what = 'string'): string {
    const n = this.varint(what);
    const b = this.bytes(n, what);
    try {
      return utf8Decoder.decode(b);
    } catch {
      throw new DecodeError(`${what}: invalid UTF-8 at byte ${this.#pos - n}`);
    }
  }
}
