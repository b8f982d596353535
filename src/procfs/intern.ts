/**
 * Decodes short byte strings that repeat from cycle to cycle (wchan symbols, thread names) to one
 * shared JS string each, so that reading the same value again allocates nothing, and a tracker that
 * keeps the value keeps the same string instead of a fresh copy every cycle (which would be promoted
 * to the old generation and collected later: the garbage that makes a Node agent's RSS creep).
 *
 * Lookup: FNV-1a of the bytes, then a byte comparison with the stored copy. Bounded: past
 * `maxEntries` distinct values the table starts over (values then simply get decoded again).
 */
import { decodeUtf8 } from './bytes.js';

interface Entry {
  readonly bytes: Uint8Array;
  readonly value: string;
  next: Entry | undefined;
}

/** Longer values are decoded without interning (they are rare and unlikely to repeat). */
const MAX_INTERNED_BYTES = 64;

export class ByteStringInterner {
  readonly #maxEntries: number;
  #table = new Map<number, Entry>();
  #entries = 0;

  constructor(maxEntries = 4096) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries;
  }

  /** `buf[start, end)` decoded as UTF-8 (invalid bytes as U+FFFD), shared with earlier equal values. */
  decode(buf: Uint8Array, start: number, end: number): string {
    const len = end - start;
    if (len <= 0) return '';
    if (len > MAX_INTERNED_BYTES) return decodeUtf8(asBuffer(buf), start, end);
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] ?? 0), 0x01000193);
    // A small integer key (Smi), whatever the platform's Smi width.
    const key = (h ^ len) & 0x3fffffff;
    const head = this.#table.get(key);
    for (let e = head; e !== undefined; e = e.next) {
      if (sameBytes(e.bytes, buf, start, len)) return e.value;
    }
    const value = decodeUtf8(asBuffer(buf), start, end);
    if (this.#entries >= this.#maxEntries) {
      this.#table = new Map();
      this.#entries = 0;
      this.#table.set(key, { bytes: copyBytes(buf, start, end), value, next: undefined });
    } else {
      this.#table.set(key, { bytes: copyBytes(buf, start, end), value, next: head });
    }
    this.#entries++;
    return value;
  }
}

function sameBytes(stored: Uint8Array, buf: Uint8Array, start: number, len: number): boolean {
  if (stored.length !== len) return false;
  for (let i = 0; i < len; i++) if (stored[i] !== buf[start + i]) return false;
  return true;
}

/** A copy (Buffer#slice would share the reused read buffer). */
function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(buf.subarray(start, end));
}

function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}
