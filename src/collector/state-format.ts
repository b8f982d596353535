/**
 * The state file's format: what `procpush run` and `once --state` need to continue after a restart,
 * and nothing else. Pure: bytes in, a validated document (or why not) out. docs/state.md describes it.
 *
 * Layout, version 2 (little-endian):
 *
 *     0   4  magic "PPST"
 *     4   1  version (2)
 *     5   1  flags: bit 0 = the body is raw-deflated
 *     6   4  uint32: body length (as stored)
 *    10   …  body
 *   end-4 4  uint32: CRC-32 (IEEE) of every byte before it
 *
 * The body is a sequence of varints (`num`: integers and hundredths as varints, any other number as a
 * float64; see base/binary.ts) with one string table, so each group, thread or label name is written
 * once: the header fields, the error counters, the string table, the tracker (the tracked processes
 * sorted by pid, pids as deltas; per process its start time, group, start-time correction, 8 counters
 * and, for a multi-threaded one, each thread's id, start time and 8 counters; the ignored processes),
 * the groups (accumulated counters, the last time they had a process, counters per thread name) and,
 * per sink, what it last pushed: for remote write the label sets, dictionary-encoded with the labels
 * every series shares (node, ip, instance…) written once; for a Pushgateway the group URL.
 *
 * Decoding validates everything: the CRC, every length and index, every number (finite, not negative,
 * integers where integers are due), pids strictly ascending, no pid both tracked and ignored, unique
 * group, thread and sink names, no trailing bytes. Anything else is refused as a whole, with the reason.
 */

import { deflateRawSync, inflateRawSync } from 'node:zlib';

import { ByteReader, ByteWriter, crc32, DecodeError } from '../base/binary.js';
import { describeError, err, ok, type Result } from '../base/result.js';
import type { Counts, Memory, States } from '../procfs/types.js';
import type { Label } from '../series/types.js';
import type { GroupSnapshot } from '../tracker/grouper.js';
import type { ProcGauges, ThreadBaseline, TrackedProcSnapshot, TrackerSnapshot } from '../tracker/tracker.js';
import type { CollectorCounters, CollectorSnapshot } from './collector.js';

export const STATE_MAGIC = 'PPST';
export const STATE_VERSION = 2;
const HEADER_BYTES = 10;
const CRC_BYTES = 4;
const FLAG_DEFLATED = 1;
/** A decompressed body larger than this is refused (a corrupt or hostile file must not exhaust memory). */
const MAX_BODY_BYTES = 512 * 1024 * 1024;

/** What a sink pushed last, so the next start can end the series that no longer exist. */
export type SinkMemory =
  | {
      readonly kind: 'remote_write';
      /** The full label set (`__name__` and the static labels included) of every series last pushed. */
      readonly series: readonly (readonly Label[])[];
    }
  | {
      readonly kind: 'pushgateway';
      /** The group URL last pushed to (no credentials), '' for none. */
      readonly groupUrl: string;
    };

export interface SinkMemoryEntry {
  /** The sink's name and target URL (without credentials): a sink is continued only when both match. */
  readonly name: string;
  readonly target: string;
  readonly memory: SinkMemory;
}

export interface StateDocument {
  /** Wall-clock ms of the save. */
  readonly savedAtMs: number;
  /** Random 32-bit id of this checkpoint; the journal written after it carries the same id. */
  readonly checkpointId: number;
  /** Hash of what the counters were computed with (rules and collection options). */
  readonly fingerprint: string;
  /** The kernel's boot_id ('' when unknown): processes of another boot are not continued. */
  readonly bootId: string;
  /** btime of the procfs, seconds since the epoch: the base of the processes' start times. */
  readonly bootTimeSeconds: number;
  readonly collector: CollectorSnapshot;
  readonly sinks: readonly SinkMemoryEntry[];
}

export type StateDecodeFailure =
  /** Not a procpush state file at all. */
  | { readonly kind: 'foreign'; readonly reason: string }
  /** A procpush state file of another format version. */
  | { readonly kind: 'version'; readonly version: number | 'json-v1'; readonly reason: string }
  /** A procpush state file that is damaged or inconsistent. */
  | { readonly kind: 'corrupt'; readonly reason: string };

const COUNT_FIELDS = ['cpuUser', 'cpuSystem', 'readBytes', 'writeBytes', 'majorPageFaults', 'minorPageFaults', 'ctxSwitchVoluntary', 'ctxSwitchNonvoluntary'] as const;
const MEMORY_FIELDS = ['residentBytes', 'virtualBytes', 'vmSwapBytes', 'proportionalBytes', 'proportionalSwapBytes'] as const;
const STATE_FIELDS = ['running', 'sleeping', 'waiting', 'zombie', 'other'] as const;

const SINK_REMOTE_WRITE = 1;
const SINK_PUSHGATEWAY = 2;

// ---------------------------------------------------------------------------------------------------
// Encoding.

/** Interns strings into the table written once at the front of the body. */
class StringTable {
  readonly #index = new Map<string, number>();
  readonly list: string[] = [];

  id(s: string): number {
    let i = this.#index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.#index.set(s, i);
    }
    return i;
  }
}

/** Start time in ms as the procfs reader computes it from btime and the start time in ticks. */
export function startTimeMsOf(bootTimeSeconds: number, starttime: number): number {
  return bootTimeSeconds * 1000 + starttime * 10;
}

/** Labels shared (same name and value) by every series, when every label set is sorted by name. */
function sharedLabels(series: readonly (readonly Label[])[]): Label[] {
  const first = series[0];
  if (first === undefined) return [];
  for (const labels of series) {
    for (let i = 1; i < labels.length; i++) if ((labels[i - 1]?.name ?? '') >= (labels[i]?.name ?? '')) return [];
  }
  let shared = first.filter((l) => l.name !== '__name__');
  for (const labels of series) {
    if (shared.length === 0) break;
    const values = new Map(labels.map((l) => [l.name, l.value]));
    shared = shared.filter((l) => values.get(l.name) === l.value);
  }
  return shared;
}

/** Encodes a state document. `deflate` compresses the body (see docs/state.md for the measured sizes). */
export function encodeState(doc: StateDocument, options: { readonly deflate?: boolean } = {}): Uint8Array {
  const strings = new StringTable();
  const body = new ByteWriter(64 * 1024);
  // The string table must come first, so the sections that use it are written to a second buffer.
  const rest = new ByteWriter(64 * 1024);
  const counts = (c: Counts): void => {
    for (const f of COUNT_FIELDS) rest.num(c[f]);
  };

  const tracker = doc.collector.grouper.tracker;
  rest.num(tracker.firstUpdateAtMs === null ? 0 : 1);
  if (tracker.firstUpdateAtMs !== null) rest.num(tracker.firstUpdateAtMs);
  rest.zigzag(tracker.resumeAfterPid ?? -1);

  const tracked = [...tracker.tracked].sort((a, b) => a.pid - b.pid);
  const withGauges = tracked.length > 0 && tracked.every((t) => t.gauges !== undefined);
  rest.u8(withGauges ? 1 : 0);
  rest.varint(tracked.length);
  let prevPid = 0;
  for (const t of tracked) {
    rest.varint(t.pid - prevPid);
    prevPid = t.pid;
    rest.num(t.starttime);
    rest.varint(strings.id(t.group));
    rest.zigzag(t.startTimeMs - startTimeMsOf(doc.bootTimeSeconds, t.starttime));
    counts(t.counts);
    const g = withGauges ? t.gauges : undefined;
    if (g !== undefined) {
      for (const f of MEMORY_FIELDS) rest.num(g.memory[f]);
      rest.zigzag(g.openFds);
      rest.num(g.fdLimit);
      rest.num(g.numThreads);
      rest.varint(strings.id(g.state));
      rest.varint(strings.id(g.wchan));
      for (const f of STATE_FIELDS) rest.num(g.states[f]);
    }
    const threads = t.threads;
    rest.varint(threads === null ? 0 : threads.length + 1);
    for (const th of threads ?? []) {
      rest.zigzag(th.tid - t.pid);
      rest.num(th.starttime);
      counts(th.counts);
      if (withGauges) {
        rest.varint(strings.id(th.name ?? ''));
        rest.varint(strings.id(th.wchan ?? ''));
      }
    }
  }
  const ignored = [...tracker.ignored].sort((a, b) => a[0] - b[0]);
  rest.varint(ignored.length);
  prevPid = 0;
  for (const [pid, starttime] of ignored) {
    rest.varint(pid - prevPid);
    prevPid = pid;
    rest.num(starttime);
  }

  const groups = doc.collector.grouper.groups;
  rest.varint(groups.length);
  for (const g of groups) {
    rest.varint(strings.id(g.name));
    rest.num(g.lastNonEmptyMs);
    counts(g.counts);
    rest.varint(g.threads.length);
    for (const th of g.threads) {
      rest.varint(strings.id(th.name));
      counts(th.counts);
    }
  }

  rest.varint(doc.sinks.length);
  for (const s of doc.sinks) {
    rest.varint(strings.id(s.name));
    rest.varint(strings.id(s.target));
    const m = s.memory;
    switch (m.kind) {
      case 'remote_write': {
        rest.u8(SINK_REMOTE_WRITE);
        const shared = sharedLabels(m.series);
        const sharedNames = new Set(shared.map((l) => l.name));
        rest.varint(shared.length);
        for (const l of shared) {
          rest.varint(strings.id(l.name));
          rest.varint(strings.id(l.value));
        }
        rest.varint(m.series.length);
        for (const labels of m.series) {
          const own = labels.filter((l) => !sharedNames.has(l.name));
          rest.varint(own.length);
          for (const l of own) {
            rest.varint(strings.id(l.name));
            rest.varint(strings.id(l.value));
          }
        }
        break;
      }
      case 'pushgateway':
        rest.u8(SINK_PUSHGATEWAY);
        rest.varint(strings.id(m.groupUrl));
        break;
    }
  }

  body.num(doc.savedAtMs);
  body.u32(doc.checkpointId);
  body.str(doc.fingerprint);
  body.str(doc.bootId);
  body.num(doc.bootTimeSeconds);
  const c = doc.collector.counters;
  body.num(c.scrapeErrors);
  body.num(c.procReadErrors);
  body.num(c.partialErrors);
  body.varint(strings.list.length);
  for (const s of strings.list) body.str(s);
  body.bytes(rest.view());

  const deflate = options.deflate ?? true;
  const stored = deflate ? deflateRawSync(body.view()) : body.view();
  const out = new ByteWriter(HEADER_BYTES + stored.length + CRC_BYTES);
  for (const ch of STATE_MAGIC) out.u8(ch.charCodeAt(0));
  out.u8(STATE_VERSION);
  out.u8(deflate ? FLAG_DEFLATED : 0);
  out.u32(stored.length);
  out.bytes(stored);
  out.u32(crc32(out.view()));
  return out.toBytes();
}

// ---------------------------------------------------------------------------------------------------
// Decoding.

function magicOf(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes.subarray(0, 4));
}

/** Decodes and validates a state file. Never throws. */
export function decodeState(bytes: Uint8Array): Result<StateDocument, StateDecodeFailure> {
  if (bytes.length >= 1 && bytes[0] === 0x7b /* { */) {
    // procpush 0.1's JSON state, recognised so the log can say what it is.
    const text = Buffer.from(bytes.subarray(0, 64)).toString('utf8');
    if (text.includes('"format":"procpush-state"')) {
      return err({ kind: 'version', version: 'json-v1', reason: 'a state file of procpush 0.1 (JSON), whose format this version does not read' });
    }
    return err({ kind: 'foreign', reason: 'not a procpush state file (JSON of something else)' });
  }
  if (bytes.length < HEADER_BYTES + CRC_BYTES || magicOf(bytes) !== STATE_MAGIC) {
    return err({ kind: 'foreign', reason: 'not a procpush state file (no PPST header)' });
  }
  const version = bytes[4] ?? 0;
  if (version !== STATE_VERSION) {
    return err({ kind: 'version', version, reason: `state file format version ${version}; this procpush reads version ${STATE_VERSION}` });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcAt = bytes.length - CRC_BYTES;
  if (crc32(bytes, crcAt) !== view.getUint32(crcAt, true)) return err({ kind: 'corrupt', reason: 'CRC mismatch (truncated or damaged)' });
  const flags = bytes[5] ?? 0;
  const stored = view.getUint32(6, true);
  if (HEADER_BYTES + stored !== crcAt) return err({ kind: 'corrupt', reason: 'body length does not match the file size' });
  if ((flags & ~FLAG_DEFLATED) !== 0) return err({ kind: 'corrupt', reason: `unknown flags ${flags}` });
  let body = bytes.subarray(HEADER_BYTES, crcAt);
  if ((flags & FLAG_DEFLATED) !== 0) {
    try {
      body = inflateRawSync(body, { maxOutputLength: MAX_BODY_BYTES });
    } catch (e) {
      return err({ kind: 'corrupt', reason: `body does not inflate: ${describeError(e)}` });
    }
  }
  try {
    return ok(readBody(new ByteReader(body)));
  } catch (e) {
    if (e instanceof DecodeError || e instanceof RangeError) return err({ kind: 'corrupt', reason: e.message });
    throw e;
  }
}

function check(cond: boolean, reason: string): asserts cond {
  if (!cond) throw new DecodeError(reason);
}

/** A finite number ≥ 0. */
function amount(r: ByteReader, what: string): number {
  const v = r.num(what);
  check(Number.isFinite(v) && v >= 0, `${what}: ${v} is not a finite number >= 0`);
  return v;
}

function integer(r: ByteReader, what: string): number {
  const v = amount(r, what);
  check(Number.isSafeInteger(v), `${what}: ${v} is not an integer`);
  return v;
}

function readCounts(r: ByteReader, what: string): Counts {
  return {
    cpuUser: amount(r, `${what} cpuUser`),
    cpuSystem: amount(r, `${what} cpuSystem`),
    readBytes: amount(r, `${what} readBytes`),
    writeBytes: amount(r, `${what} writeBytes`),
    majorPageFaults: amount(r, `${what} majorPageFaults`),
    minorPageFaults: amount(r, `${what} minorPageFaults`),
    ctxSwitchVoluntary: amount(r, `${what} ctxSwitchVoluntary`),
    ctxSwitchNonvoluntary: amount(r, `${what} ctxSwitchNonvoluntary`),
  };
}

function readBody(r: ByteReader): StateDocument {
  const savedAtMs = integer(r, 'savedAtMs');
  const checkpointId = r.u32('checkpointId');
  const fingerprint = r.str('fingerprint');
  const bootId = r.str('bootId');
  const bootTimeSeconds = integer(r, 'bootTimeSeconds');
  const counters: CollectorCounters = {
    scrapeErrors: integer(r, 'scrapeErrors'),
    procReadErrors: integer(r, 'procReadErrors'),
    partialErrors: integer(r, 'partialErrors'),
  };
  const nStrings = r.count('string table', 1);
  const strings: string[] = [];
  for (let i = 0; i < nStrings; i++) strings.push(r.str(`string ${i}`));
  const str = (what: string): string => {
    const i = r.varint(what);
    const s = strings[i];
    check(s !== undefined, `${what}: string ${i} of ${strings.length}`);
    return s;
  };

  const hasFirst = r.num('firstUpdateAtMs present');
  check(hasFirst === 0 || hasFirst === 1, 'firstUpdateAtMs present: not 0 or 1');
  const firstUpdateAtMs = hasFirst === 1 ? integer(r, 'firstUpdateAtMs') : null;
  const resumeAfterPid = r.zigzag('resumeAfterPid');
  check(resumeAfterPid >= -1, 'resumeAfterPid below -1');
  const gaugesFlag = r.u8('gauges flag');
  check(gaugesFlag <= 1, 'gauges flag not 0 or 1');
  const withGauges = gaugesFlag === 1;

  const pids = new Set<number>();
  const nTracked = r.count('tracked processes', 11);
  const tracked: TrackedProcSnapshot[] = [];
  let pid = 0;
  for (let i = 0; i < nTracked; i++) {
    const delta = r.varint('pid');
    check(delta > 0, 'tracked pids are not strictly ascending');
    pid += delta;
    check(Number.isSafeInteger(pid), 'pid out of range');
    pids.add(pid);
    const what = `process ${pid}`;
    const starttime = integer(r, `${what} starttime`);
    const group = str(`${what} group`);
    const startTimeMs = startTimeMsOf(bootTimeSeconds, starttime) + r.zigzag(`${what} startTimeMs`);
    check(Number.isSafeInteger(startTimeMs), `${what}: startTimeMs out of range`);
    const counts = readCounts(r, what);
    let gauges: ProcGauges | undefined;
    if (withGauges) {
      const memory = {} as Record<(typeof MEMORY_FIELDS)[number], number>;
      for (const f of MEMORY_FIELDS) memory[f] = amount(r, `${what} ${f}`);
      const openFds = r.zigzag(`${what} openFds`);
      check(openFds >= -1, `${what}: openFds below -1`);
      const fdLimit = amount(r, `${what} fdLimit`);
      const numThreads = integer(r, `${what} numThreads`);
      const state = str(`${what} state`);
      const wchan = str(`${what} wchan`);
      const states = {} as Record<(typeof STATE_FIELDS)[number], number>;
      for (const f of STATE_FIELDS) states[f] = integer(r, `${what} states.${f}`);
      gauges = { memory: memory satisfies Memory, openFds, fdLimit, numThreads, state, wchan, states: states satisfies States };
    }
    const nThreadsPlus1 = r.varint(`${what} threads`);
    check((nThreadsPlus1 - 1) * 10 <= r.remaining, `${what}: ${nThreadsPlus1 - 1} threads cannot fit in ${r.remaining} bytes`);
    let threads: ThreadBaseline[] | null = null;
    if (nThreadsPlus1 > 0) {
      threads = [];
      const tids = new Set<number>();
      for (let k = 0; k < nThreadsPlus1 - 1; k++) {
        const tid = pid + r.zigzag(`${what} tid`);
        check(tid >= 1 && !tids.has(tid), `${what}: thread id ${tid} invalid or repeated`);
        tids.add(tid);
        const tstart = integer(r, `${what} thread ${tid} starttime`);
        const tcounts = readCounts(r, `${what} thread ${tid}`);
        if (withGauges) {
          const name = str(`${what} thread ${tid} name`);
          const wchan = str(`${what} thread ${tid} wchan`);
          threads.push({ tid, starttime: tstart, counts: tcounts, name, wchan });
        } else {
          threads.push({ tid, starttime: tstart, counts: tcounts });
        }
      }
    }
    tracked.push({ pid, starttime, group, startTimeMs, counts, threads, ...(gauges !== undefined ? { gauges } : {}) });
  }
  const nIgnored = r.count('ignored processes', 2);
  const ignored: (readonly [number, number])[] = [];
  pid = 0;
  for (let i = 0; i < nIgnored; i++) {
    const delta = r.varint('ignored pid');
    check(delta > 0, 'ignored pids are not strictly ascending');
    pid += delta;
    check(Number.isSafeInteger(pid) && !pids.has(pid), `pid ${pid} is both tracked and ignored`);
    ignored.push([pid, integer(r, `ignored ${pid} starttime`)]);
  }

  const nGroups = r.count('groups', 10);
  const groups: GroupSnapshot[] = [];
  const groupNames = new Set<string>();
  for (let i = 0; i < nGroups; i++) {
    const name = str('group name');
    check(!groupNames.has(name), `group ${JSON.stringify(name)} appears twice`);
    groupNames.add(name);
    const lastNonEmptyMs = integer(r, `group ${name} lastNonEmptyMs`);
    const counts = readCounts(r, `group ${name}`);
    const nThreads = r.count(`group ${name} thread names`, 9);
    const threads: { name: string; counts: Counts }[] = [];
    const threadNames = new Set<string>();
    for (let k = 0; k < nThreads; k++) {
      const tname = str(`group ${name} thread name`);
      check(!threadNames.has(tname), `group ${name}: thread name ${JSON.stringify(tname)} appears twice`);
      threadNames.add(tname);
      threads.push({ name: tname, counts: readCounts(r, `group ${name} thread ${tname}`) });
    }
    groups.push({ name, lastNonEmptyMs, counts, threads });
  }

  const nSinks = r.count('sinks', 3);
  const sinks: SinkMemoryEntry[] = [];
  const sinkKeys = new Set<string>();
  for (let i = 0; i < nSinks; i++) {
    const name = str('sink name');
    const target = str(`sink ${name} target`);
    const key = JSON.stringify([name, target]);
    check(!sinkKeys.has(key), `sink ${name} (${target}) appears twice`);
    sinkKeys.add(key);
    const kind = r.u8(`sink ${name} kind`);
    if (kind === SINK_REMOTE_WRITE) {
      const label = (what: string): Label => ({ name: str(`${what} label name`), value: str(`${what} label value`) });
      const nShared = r.count(`sink ${name} shared labels`, 2);
      const shared: Label[] = [];
      for (let k = 0; k < nShared; k++) shared.push(label(`sink ${name} shared`));
      const nSeries = r.count(`sink ${name} series`, 1);
      const series: Label[][] = [];
      for (let k = 0; k < nSeries; k++) {
        const nLabels = r.count(`sink ${name} series ${k}`, 2);
        const labels: Label[] = [];
        for (let j = 0; j < nLabels; j++) labels.push(label(`sink ${name} series ${k}`));
        const all = shared.length === 0 ? labels : [...labels, ...shared].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const names = new Set(all.map((l) => l.name));
        check(names.size === all.length, `sink ${name} series ${k}: a label name appears twice`);
        series.push(all);
      }
      sinks.push({ name, target, memory: { kind: 'remote_write', series } });
    } else {
      check(kind === SINK_PUSHGATEWAY, `sink ${name}: unknown kind ${kind}`);
      sinks.push({ name, target, memory: { kind: 'pushgateway', groupUrl: str(`sink ${name} group URL`) } });
    }
  }
  check(r.remaining === 0, `${r.remaining} bytes after the end of the state`);

  const tracker: TrackerSnapshot = { firstUpdateAtMs, tracked, ignored, ...(resumeAfterPid >= 0 ? { resumeAfterPid } : {}) };
  return { savedAtMs, checkpointId, fingerprint, bootId, bootTimeSeconds, collector: { grouper: { tracker, groups }, counters }, sinks };
}
