/**
 * Counter arithmetic, field by field and in place: the tracker and grouper own their counters and
 * overwrite them every cycle instead of allocating new ones (base/memory.ts, techniques 1 and 3).
 */
import { doubleCounts } from '../base/memory.js';
import type { Counts, States } from '../procfs/types.js';

export function zeroCounts(): Counts {
  return {
    cpuUser: 0,
    cpuSystem: 0,
    readBytes: 0,
    writeBytes: 0,
    majorPageFaults: 0,
    minorPageFaults: 0,
    ctxSwitchVoluntary: 0,
    ctxSwitchNonvoluntary: 0,
  };
}

/** `a += b`, field by field (CPU as float addition, like process-exporter's Counts.Add). */
export function addCounts(a: Counts, b: Readonly<Counts>): void {
  a.cpuUser += b.cpuUser;
  a.cpuSystem += b.cpuSystem;
  a.readBytes += b.readBytes;
  a.writeBytes += b.writeBytes;
  a.majorPageFaults += b.majorPageFaults;
  a.minorPageFaults += b.minorPageFaults;
  a.ctxSwitchVoluntary += b.ctxSwitchVoluntary;
  a.ctxSwitchNonvoluntary += b.ctxSwitchNonvoluntary;
}

/** `out = a - b` field by field (a delta, not a total). */
export function subInto(out: Counts, a: Readonly<Counts>, b: Readonly<Counts>): void {
  out.cpuUser = a.cpuUser - b.cpuUser;
  out.cpuSystem = a.cpuSystem - b.cpuSystem;
  out.readBytes = a.readBytes - b.readBytes;
  out.writeBytes = a.writeBytes - b.writeBytes;
  out.majorPageFaults = a.majorPageFaults - b.majorPageFaults;
  out.minorPageFaults = a.minorPageFaults - b.minorPageFaults;
  out.ctxSwitchVoluntary = a.ctxSwitchVoluntary - b.ctxSwitchVoluntary;
  out.ctxSwitchNonvoluntary = a.ctxSwitchNonvoluntary - b.ctxSwitchNonvoluntary;
}

/** `out = c` field by field. */
export function copyInto(out: Counts, c: Readonly<Counts>): void {
  out.cpuUser = c.cpuUser;
  out.cpuSystem = c.cpuSystem;
  out.readBytes = c.readBytes;
  out.writeBytes = c.writeBytes;
  out.majorPageFaults = c.majorPageFaults;
  out.minorPageFaults = c.minorPageFaults;
  out.ctxSwitchVoluntary = c.ctxSwitchVoluntary;
  out.ctxSwitchNonvoluntary = c.ctxSwitchNonvoluntary;
}

/** Every counter to 0, in place. */
export function setZero(c: Counts): void {
  c.cpuUser = 0;
  c.cpuSystem = 0;
  c.readBytes = 0;
  c.writeBytes = 0;
  c.majorPageFaults = 0;
  c.minorPageFaults = 0;
  c.ctxSwitchVoluntary = 0;
  c.ctxSwitchNonvoluntary = 0;
}

/** Counts the hot path overwrites every cycle: unboxed doubles (base/memory.ts), zero or a copy of `from`. */
export function ownedCounts(from?: Readonly<Counts>): Counts {
  const c = doubleCounts();
  if (from === undefined) setZero(c);
  else copyInto(c, from);
  return c;
}

/** `a = max(a, b)`, field by field. */
export function maxInto(a: Counts, b: Readonly<Counts>): void {
  if (b.cpuUser > a.cpuUser) a.cpuUser = b.cpuUser;
  if (b.cpuSystem > a.cpuSystem) a.cpuSystem = b.cpuSystem;
  if (b.readBytes > a.readBytes) a.readBytes = b.readBytes;
  if (b.writeBytes > a.writeBytes) a.writeBytes = b.writeBytes;
  if (b.majorPageFaults > a.majorPageFaults) a.majorPageFaults = b.majorPageFaults;
  if (b.minorPageFaults > a.minorPageFaults) a.minorPageFaults = b.minorPageFaults;
  if (b.ctxSwitchVoluntary > a.ctxSwitchVoluntary) a.ctxSwitchVoluntary = b.ctxSwitchVoluntary;
  if (b.ctxSwitchNonvoluntary > a.ctxSwitchNonvoluntary) a.ctxSwitchNonvoluntary = b.ctxSwitchNonvoluntary;
}

export function copyCounts(c: Readonly<Counts>): Counts {
  return { ...c };
}

export function zeroStates(): States {
  return { running: 0, sleeping: 0, waiting: 0, zombie: 0, other: 0 };
}

/** Counts one task in state `letter` (stat field 3): R, S, D, Z, anything else is Other. */
export function addState(s: States, letter: string): void {
  switch (letter) {
    case 'R':
      s.running++;
      break;
    case 'S':
      s.sleeping++;
      break;
    case 'D':
      s.waiting++;
      break;
    case 'Z':
      s.zombie++;
      break;
    default:
      s.other++;
  }
}

export function addStates(a: States, b: Readonly<States>): void {
  a.running += b.running;
  a.sleeping += b.sleeping;
  a.waiting += b.waiting;
  a.zombie += b.zombie;
  a.other += b.other;
}
