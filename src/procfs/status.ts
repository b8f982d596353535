/**
 * `/proc/<pid>/status`: the effective uid, VmSwap and the context-switch counters.
 *
 * Mirrors prometheus/procfs `Proc.NewStatus()`: every line is `Key:<TAB>value`; the value is
 * trimmed and a trailing ` kB` dropped. Numeric fields that do not parse, and lines that are
 * absent, read as 0 (Go's zero value): VmSwap is absent for kernel threads, and a status without
 * `Uid:` reads as euid 0, exactly as procfs hands it to process-exporter. Only a malformed id
 * list (`Uid:`, `Gid:`, `NSpid:` with a value that is not tab-separated uint64s) fails the whole
 * parse, as procfs >= 0.14 (process-exporter 0.8.x) does; the kernel never writes one.
 */
import type { ProcStatus } from './types.js';
import { type ProcInput, ascii, lineEnd, parseUintAt, startsWithAt, toBuffer, trimEnd, trimStart } from './bytes.js';

const UID = ascii('Uid:');
const GID = ascii('Gid:');
const NSPID = ascii('NSpid:');
const VMSWAP = ascii('VmSwap:');
const VOLUNTARY = ascii('voluntary_ctxt_switches:');
const NONVOLUNTARY = ascii('nonvoluntary_ctxt_switches:');
const KB_SUFFIX = ascii(' kB');
const TAB = 0x09;

export function parseStatus(input: ProcInput): ProcStatus | undefined {
  const buf = toBuffer(input);
  return parseStatusBytes(buf, buf.length);
}

/** parseStatus over `buf[0, end)`; allocation-free apart from the result. */
export function parseStatusBytes(buf: Buffer, end: number): ProcStatus | undefined {
  const out: MutableStatus = { euid: 0, vmSwapBytes: 0, voluntaryCtxtSwitches: 0, nonvoluntaryCtxtSwitches: 0 };
  return parseStatusInto(buf, end, out) ? out : undefined;
}

export type MutableStatus = { -readonly [K in keyof ProcStatus]: ProcStatus[K] };

/** parseStatus over `buf[0, end)` into `out`, allocating nothing; false when the file is malformed. */
export function parseStatusInto(buf: Buffer, end: number, out: MutableStatus): boolean {
  let euid = 0;
  let vmSwapBytes = 0;
  let voluntaryCtxtSwitches = 0;
  let nonvoluntaryCtxtSwitches = 0;

  let pos = 0;
  while (pos < end) {
    const eol = lineEnd(buf, pos, end);
    // Dispatch on the first byte so most lines cost one comparison.
    switch (buf[pos] ?? 0) {
      case 0x55: // U
        if (startsWithAt(buf, pos, eol, UID)) {
          const uid = idListSecond(buf, pos + UID.length, eol, 4);
          if (uid < 0) return false;
          euid = uid;
        }
        break;
      case 0x47: // G
        if (startsWithAt(buf, pos, eol, GID) && idListSecond(buf, pos + GID.length, eol, 4) < 0) return false;
        break;
      case 0x4e: // N
        if (startsWithAt(buf, pos, eol, NSPID) && idListSecond(buf, pos + NSPID.length, eol, Infinity) < 0) {
          return false;
        }
        break;
      case 0x56: // V
        if (startsWithAt(buf, pos, eol, VMSWAP)) vmSwapBytes = numericValue(buf, pos + VMSWAP.length, eol) * 1024;
        break;
      case 0x76: // v
        if (startsWithAt(buf, pos, eol, VOLUNTARY)) voluntaryCtxtSwitches = numericValue(buf, pos + VOLUNTARY.length, eol);
        break;
      case 0x6e: // n
        if (startsWithAt(buf, pos, eol, NONVOLUNTARY)) {
          nonvoluntaryCtxtSwitches = numericValue(buf, pos + NONVOLUNTARY.length, eol);
        }
        break;
      default:
        break;
    }
    pos = eol + 1;
  }
  out.euid = euid;
  out.vmSwapBytes = vmSwapBytes;
  out.voluntaryCtxtSwitches = voluntaryCtxtSwitches;
  out.nonvoluntaryCtxtSwitches = nonvoluntaryCtxtSwitches;
  return true;
}

/** The trimmed value with a trailing ` kB` removed, as a uint; 0 when it is not one. */
function numericValue(buf: Buffer, start: number, end: number): number {
  const s = trimStart(buf, start, end);
  let e = trimEnd(buf, s, end);
  if (e - s >= KB_SUFFIX.length && startsWithAt(buf, e - KB_SUFFIX.length, e, KB_SUFFIX)) e -= KB_SUFFIX.length;
  const value = parseUintAt(buf, s, e);
  return Number.isNaN(value) ? 0 : value;
}

/**
 * Validates a tab-separated list of uints (at most `max` entries) and returns the second entry
 * (0 when there is only one), or -1 when the list is malformed.
 */
function idListSecond(buf: Buffer, start: number, end: number, max: number): number {
  const s = trimStart(buf, start, end);
  const e = trimEnd(buf, s, end);
  let second = 0;
  let index = 0;
  let fieldStart = s;
  for (let i = s; i <= e; i++) {
    if (i < e && buf[i] !== TAB) continue;
    const value = parseUintAt(buf, fieldStart, i);
    if (Number.isNaN(value) || index >= max) return -1;
    if (index === 1) second = value;
    index++;
    fieldStart = i + 1;
  }
  return second;
}
