/**
 * Snappy BLOCK-format compression (the format remote write mandates; never the framed format),
 * written from the format's description and the reference compressor's documented strategy (google/
 * snappy's format_description.txt): the input is cut into 64 KiB blocks compressed
 * independently, each with a hash table of 4-byte sequences, emitting literals and copies with 1- and
 * 2-byte offsets. Any snappy decoder reads the result (the tests decode it with snappyjs).
 *
 * Why not snappyjs' compressor: it hashes with a float multiplication that leaves the small-integer
 * range (slow in V8), compares bytes one at a time and needs the whole input in one array. This one
 * hashes with Math.imul, compares 4 bytes at a time, and reads the request straight from its entries
 * (no concatenated copy of the uncompressed request), with fixed-size scratch buffers.
 */

const BLOCK_SIZE = 1 << 16;
const HASH_BITS = 14;
const HASH_SHIFT = 32 - HASH_BITS;
/** The reference's kInputMarginBytes: no match is searched for in the last 15 bytes of a block. */
const INPUT_MARGIN = 15;

/** Worst case of one compressed block: 32 + n + n/6 (snappy's MaxCompressedLength). */
const MAX_BLOCK_OUTPUT = 32 + BLOCK_SIZE + Math.ceil(BLOCK_SIZE / 6);

// Scratch, reused by every call (compression is synchronous and never re-entrant).
const table = new Uint16Array(1 << HASH_BITS);
const block = new Uint8Array(BLOCK_SIZE + 8);
/** 4-byte little-endian loads from `block` (DataView reads are inlined by V8's optimizing tiers). */
const blockView = new DataView(block.buffer);
const blockOut = new Uint8Array(MAX_BLOCK_OUTPUT);

/** Compresses the concatenation of `parts` (without concatenating them). */
export function snappyCompress(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  if (total > 0xffffffff) throw new RangeError('snappy: input larger than 4 GiB');

  const pieces: Uint8Array[] = [];
  // Preamble: the uncompressed length as a varint.
  const preamble = new Uint8Array(5);
  let pn = 0;
  let len = total;
  while (len >= 0x80) {
    preamble[pn++] = (len & 0x7f) | 0x80;
    len = Math.floor(len / 128);
  }
  preamble[pn++] = len;
  pieces.push(preamble.subarray(0, pn));
  let outLength = pn;

  let partIndex = 0;
  let partPos = 0;
  let left = total;
  while (left > 0) {
    // Gather the next block from the parts.
    const n = Math.min(BLOCK_SIZE, left);
    let filled = 0;
    while (filled < n) {
      const part = parts[partIndex];
      if (part === undefined) break;
      const take = Math.min(n - filled, part.length - partPos);
      if (take > 0) {
        if (take < 32) {
          for (let i = 0; i < take; i++) block[filled + i] = part[partPos + i] ?? 0;
        } else {
          block.set(part.subarray(partPos, partPos + take), filled);
        }
      }
      filled += take;
      partPos += take;
      if (partPos >= part.length) {
        partIndex++;
        partPos = 0;
      }
    }
    const op = compressBlock(n, blockOut);
    pieces.push(blockOut.slice(0, op));
    outLength += op;
    left -= n;
  }

  const out = new Uint8Array(outLength);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function load32(i: number): number {
  return blockView.getInt32(i, true);
}

function hash(x: number): number {
  return Math.imul(x, 0x1e35a7bd) >>> HASH_SHIFT;
}

/** One block, `block[0, n)` with n ≤ 64 KiB, into `dst` from 0; returns the compressed length. */
function compressBlock(n: number, dst: Uint8Array): number {
  const src = block;
  let op = 0;
  if (n < INPUT_MARGIN) return emitLiteral(src, 0, n, dst, op);
  table.fill(0);
  const ipLimit = n - INPUT_MARGIN;
  let ip = 1;
  let nextEmit = 0;
  let nextHash = hash(load32(ip));

  for (;;) {
    // Look for a match, skipping faster and faster through incompressible data.
    let skip = 32;
    let nextIp = ip;
    let candidate = 0;
    for (;;) {
      ip = nextIp;
      const h = nextHash;
      nextIp = ip + (skip >>> 5);
      skip++;
      if (nextIp > ipLimit) return emitRemainder(src, nextEmit, n, dst, op);
      nextHash = hash(load32(nextIp));
      candidate = table[h] ?? 0;
      table[h] = ip;
      if (load32(ip) === load32(candidate)) break;
    }

    op = emitLiteral(src, nextEmit, ip - nextEmit, dst, op);

    // Emit copies while the next bytes match again.
    for (;;) {
      const base = ip;
      const matched = 4 + matchLength(src, candidate + 4, ip + 4, n);
      ip += matched;
      op = emitCopy(dst, op, base - candidate, matched);
      nextEmit = ip;
      if (ip >= ipLimit) return emitRemainder(src, nextEmit, n, dst, op);
      table[hash(load32(ip - 1))] = ip - 1;
      const h = hash(load32(ip));
      candidate = table[h] ?? 0;
      table[h] = ip;
      if (load32(ip) !== load32(candidate)) break;
    }
    nextHash = hash(load32(ip + 1));
    ip++;
  }
}

function emitRemainder(src: Uint8Array, nextEmit: number, n: number, dst: Uint8Array, op: number): number {
  return nextEmit < n ? emitLiteral(src, nextEmit, n - nextEmit, dst, op) : op;
}

/** Bytes equal at s1 and s2 (s1 < s2), up to `limit` for s2; four at a time while possible. */
function matchLength(a: Uint8Array, s1: number, s2: number, limit: number): number {
  const start = s2;
  while (s2 + 4 <= limit && load32(s1) === load32(s2)) {
    s1 += 4;
    s2 += 4;
  }
  while (s2 < limit && a[s1] === a[s2]) {
    s1++;
    s2++;
  }
  return s2 - start;
}

function emitLiteral(src: Uint8Array, start: number, len: number, dst: Uint8Array, op: number): number {
  if (len <= 0) return op;
  const n = len - 1;
  if (n < 60) {
    dst[op++] = n << 2;
  } else if (n < 0x100) {
    dst[op++] = 60 << 2;
    dst[op++] = n;
  } else {
    dst[op++] = 61 << 2;
    dst[op++] = n & 0xff;
    dst[op++] = n >>> 8;
  }
  if (len < 32) {
    for (let i = 0; i < len; i++) dst[op + i] = src[start + i] ?? 0;
  } else {
    dst.set(src.subarray(start, start + len), op);
  }
  return op + len;
}

function emitCopyUpTo64(dst: Uint8Array, op: number, offset: number, len: number): number {
  if (len < 12 && offset < 2048) {
    dst[op++] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    dst[op++] = offset & 0xff;
  } else {
    dst[op++] = 2 | ((len - 1) << 2);
    dst[op++] = offset & 0xff;
    dst[op++] = offset >>> 8;
  }
  return op;
}

function emitCopy(dst: Uint8Array, op: number, offset: number, len: number): number {
  while (len >= 68) {
    op = emitCopyUpTo64(dst, op, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    op = emitCopyUpTo64(dst, op, offset, 60);
    len -= 60;
  }
  return emitCopyUpTo64(dst, op, offset, len);
}
