/**
 * `/proc/<pid>/smaps_rollup`, or the sum over `/proc/<pid>/smaps` when smaps_rollup does not exist
 * (kernels before 4.14): `Pss` and `SwapPss`, kB converted to bytes.
 *
 * Mirrors prometheus/procfs `ProcSMapsRollup()`. smaps_rollup: the first line (the `[rollup]`
 * pseudo-mapping) is skipped, empty lines are skipped, and every other line must be
 * `Key: <uint> kB` (`VmFlags` excepted) or the parse fails. smaps: lines starting with a lowercase
 * hex digit are mapping headers; every other line must parse the same way.
 */
import type { ProcSmaps } from './types.js';
import { type ProcInput, ascii, equalsAt, indexOfByte, isSpace, lineEnd, parseUintAt, toBuffer, trimStart } from './bytes.js';

const PSS = ascii('Pss');
const SWAP_PSS = ascii('SwapPss');
const VM_FLAGS = ascii('VmFlags');
const COLON = 0x3a;
const CR = 0x0d;

export function parseSmapsRollup(input: ProcInput): ProcSmaps | undefined {
  const buf = toBuffer(input);
  const out: MutableSmaps = { pssBytes: 0, swapPssBytes: 0 };
  return parseSmapsRollupInto(buf, buf.length, out) ? out : undefined;
}

export type MutableSmaps = { -readonly [K in keyof ProcSmaps]: ProcSmaps[K] };

/** parseSmapsRollup over `buf[0, end)` into `out`, allocating nothing; false when malformed. */
export function parseSmapsRollupInto(buf: Buffer, end: number, out: MutableSmaps): boolean {
  const acc = ACC;
  acc.reset();
  let pos = lineEnd(buf, 0, end) + 1;
  while (pos < end) {
    const eol = lineEnd(buf, pos, end);
    if (eol > pos && !acc.add(buf, pos, eol)) return false;
    pos = eol + 1;
  }
  acc.into(out);
  return true;
}

/** Sum of `Pss`/`SwapPss` over all mappings of an smaps file. */
export function parseSmaps(input: ProcInput): ProcSmaps | undefined {
  const buf = toBuffer(input);
  const out: MutableSmaps = { pssBytes: 0, swapPssBytes: 0 };
  return parseSmapsInto(buf, buf.length, out) ? out : undefined;
}

/** parseSmaps over `buf[0, end)` into `out`, allocating nothing; false when malformed. */
export function parseSmapsInto(buf: Buffer, end: number, out: MutableSmaps): boolean {
  const acc = ACC;
  acc.reset();
  let pos = 0;
  while (pos < end) {
    const next = lineEnd(buf, pos, end);
    // Go's bufio.Scanner drops one trailing \r.
    const eol = next > pos && buf[next - 1] === CR ? next - 1 : next;
    if (!isHeaderStart(buf[pos] ?? 0) && !acc.add(buf, pos, eol)) return false;
    pos = next + 1;
  }
  acc.into(out);
  return true;
}

/** `^[a-f0-9]`: the first byte of a mapping header line (`55a3994d9000-55a3994db000 r--p …`). */
function isHeaderStart(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

class Accumulator {
  private pssKb = 0;
  private swapPssKb = 0;

  /** Adds one `Key: value kB` line; false when the line is malformed. */
  add(buf: Buffer, start: number, end: number): boolean {
    const colon = indexOfByte(buf, COLON, start, end);
    if (colon >= end) return false;
    if (equalsAt(buf, start, colon, VM_FLAGS)) return true;
    // Go: TrimSpace, then TrimRight of any of " kB".
    const s = trimStart(buf, colon + 1, end);
    let e = end;
    while (e > s && isTrimmable(buf[e - 1] ?? 0)) e--;
    const kb = parseUintAt(buf, s, e);
    if (Number.isNaN(kb)) return false;
    if (equalsAt(buf, start, colon, PSS)) this.pssKb += kb;
    else if (equalsAt(buf, start, colon, SWAP_PSS)) this.swapPssKb += kb;
    return true;
  }

  reset(): void {
    this.pssKb = 0;
    this.swapPssKb = 0;
  }

  into(out: MutableSmaps): void {
    out.pssBytes = this.pssKb * 1024;
    out.swapPssBytes = this.swapPssKb * 1024;
  }
}

/** One accumulator for every parse: parsing is synchronous and never re-entrant. */
const ACC = new Accumulator();

function isTrimmable(c: number): boolean {
  return isSpace(c) || c === 0x6b /* k */ || c === 0x42 /* B */;
}
