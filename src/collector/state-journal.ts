/**
 * The state journal: what keeps counters monotonic across a crash between two checkpoints. Pure.
 *
 * A checkpoint (the state file) is up to `state_checkpoint` old when the agent is killed. Restoring
 * it, a group's counter becomes the checkpoint's value plus what the processes still alive did since:
 * the increase of processes that exited in between is lost, so the restored counter can be lower than
 * the one last pushed, which Prometheus would take for a counter reset. So after every cycle, before
 * its push, the journal gets a record of:
 *  - the tracked processes gone in that cycle, with their last counters: a restore adds what they
 *    counted after the checkpoint (their last counters minus their baselines in it);
 *  - the counters that changed since the previous record (groups, thread names, error counters), as
 *    absolute values: a restore applies the last ones as lower bounds (a per-field maximum, see
 *    AccumFloors) to its first cycle, so no counter is ever below what was pushed.
 * Each checkpoint starts a new journal. What a crash still costs is the increase, since their last
 * cycle, of the processes still alive then (they are read again) plus the last-cycle increase of those
 * that exited after the last cycle (nobody read it), bounded by the floors: never a decrease.
 *
 * Layout (little-endian):
 *
 *     header: "PPSJ", version (1 byte, 1), uint32 checkpoint id (the state file's), uint32 CRC-32 of those 9 bytes
 *     record: varint body length, body, uint32 CRC-32 of the body
 *     body:   num timestamp ms, num×3 error counters (scrape, read, partial),
 *             varint n, n × (name, byte field mask, num per field set in the mask)        groups
 *             varint n, n × (group name, thread name, byte field mask, num per field set)  thread names
 *             varint n, n × (group name, varint pid, num start time, num start time ms,
 *                            num×8 last counters)                                          gone processes
 *     name:   varint k: 0 = a new name follows (a length-prefixed string, given the next number),
 *             k > 0 = the name numbered k − 1 in this journal
 *
 * A record that is cut short or fails its CRC ends the replay (the tail of a write that a crash
 * interrupted); the records before it count.
 */

import { ByteReader, ByteWriter, crc32, DecodeError } from '../base/binary.js';
import { err, ok, type Result } from '../base/result.js';
import type { Counts } from '../procfs/types.js';
import type { CollectorCounters, CollectorFloors, VanishedProc } from './collector.js';

export const JOURNAL_MAGIC = 'PPSJ';
export const JOURNAL_VERSION = 1;
export const JOURNAL_HEADER_BYTES = 13;

const FIELDS = ['cpuUser', 'cpuSystem', 'readBytes', 'writeBytes', 'majorPageFaults', 'minorPageFaults', 'ctxSwitchVoluntary', 'ctxSwitchNonvoluntary'] as const;

/** A group's totals after a cycle, as the collector reports them. */
export interface JournalGroup {
  readonly counts: Counts;
  readonly threads: readonly { readonly name: string; readonly counts: Counts }[];
}

export function journalHeader(checkpointId: number): Uint8Array {
  const w = new ByteWriter(JOURNAL_HEADER_BYTES);
  for (const ch of JOURNAL_MAGIC) w.u8(ch.charCodeAt(0));
  w.u8(JOURNAL_VERSION);
  w.u32(checkpointId);
  w.u32(crc32(w.view()));
  return w.toBytes();
}

function zeroCounts(): Counts {
  return { cpuUser: 0, cpuSystem: 0, readBytes: 0, writeBytes: 0, majorPageFaults: 0, minorPageFaults: 0, ctxSwitchVoluntary: 0, ctxSwitchNonvoluntary: 0 };
}

/**
 * Builds the journal's records. Keeps the values last written (per group and thread name) to write
 * only what changed; `restart` begins a new journal after a checkpoint, whose values it is given.
 * The bytes a record returns are a view into a buffer reused by the next record.
 */
export class JournalWriter {
  readonly #last = new Map<string, Counts>();
  readonly #lastThreads = new Map<string, Map<string, Counts>>();
  readonly #lastCounters: CollectorCounters = { scrapeErrors: 0, procReadErrors: 0, partialErrors: 0 };
  readonly #names = new Map<string, number>();
  #nameCount = 0;
  readonly #buf = new ByteWriter(4096);
  readonly #body = new ByteWriter(4096);

  /**
   * Starts over after a checkpoint of these values: the next records hold what changes from them.
   * `names`: the names an existing journal (appended to) already numbered.
   */
  restart(groups: ReadonlyMap<string, JournalGroup>, counters: CollectorCounters, names: readonly string[] = []): void {
    this.#last.clear();
    this.#lastThreads.clear();
    this.#names.clear();
    names.forEach((n, i) => {
      if (!this.#names.has(n)) this.#names.set(n, i);
    });
    this.#nameCount = names.length;
    Object.assign(this.#lastCounters, counters);
    groups.forEach((g, name) => {
      this.#last.set(name, { ...g.counts });
      if (g.threads.length > 0) this.#lastThreads.set(name, new Map(g.threads.map((t) => [t.name, { ...t.counts }])));
    });
  }

  /** The record of one cycle (what changed since the last one), framed and ready to append. */
  record(timestampMs: number, groups: ReadonlyMap<string, JournalGroup>, counters: CollectorCounters, vanished: readonly VanishedProc[] = []): Uint8Array {
    const b = this.#body;
    b.reset();
    b.num(timestampMs);
    b.num(counters.scrapeErrors);
    b.num(counters.procReadErrors);
    b.num(counters.partialErrors);
    Object.assign(this.#lastCounters, counters);

    let n = 0;
    groups.forEach((g, name) => {
      if (maskOf(g.counts, this.#last.get(name)) !== 0) n++;
    });
    b.varint(n);
    groups.forEach((g, name) => {
      let last = this.#last.get(name);
      if (last === undefined) {
        last = zeroCounts();
        this.#last.set(name, last);
      }
      this.#writeChange(name, undefined, g.counts, last);
    });

    let nThreads = 0;
    groups.forEach((g, name) => {
      const last = this.#lastThreads.get(name);
      for (const t of g.threads) if (maskOf(t.counts, last?.get(t.name)) !== 0) nThreads++;
    });
    b.varint(nThreads);
    groups.forEach((g, name) => {
      if (g.threads.length === 0) return;
      let last = this.#lastThreads.get(name);
      if (last === undefined) {
        last = new Map();
        this.#lastThreads.set(name, last);
      }
      for (const t of g.threads) {
        let tl = last.get(t.name);
        if (tl === undefined) {
          tl = zeroCounts();
          last.set(t.name, tl);
        }
        this.#writeChange(name, t.name, t.counts, tl);
      }
    });

    b.varint(vanished.length);
    for (const v of vanished) {
      this.#name(v.group);
      b.varint(v.pid);
      b.num(v.starttime);
      b.num(v.startTimeMs);
      for (const f of FIELDS) b.num(v.counts[f]);
    }

    const out = this.#buf;
    out.reset();
    out.varint(b.length);
    out.bytes(b.view());
    out.u32(crc32(b.view()));
    return out.view();
  }

  #writeChange(group: string, thread: string | undefined, now: Counts, last: Counts): void {
    const mask = maskOf(now, last);
    if (mask === 0) return;
    const b = this.#body;
    this.#name(group);
    if (thread !== undefined) this.#name(thread);
    b.u8(mask);
    for (let i = 0; i < FIELDS.length; i++) {
      const f = FIELDS[i];
      if (f === undefined || (mask & (1 << i)) === 0) continue;
      b.num(now[f]);
      last[f] = now[f];
    }
  }

  #name(name: string): void {
    const k = this.#names.get(name);
    if (k !== undefined) {
      this.#body.varint(k + 1);
      return;
    }
    this.#names.set(name, this.#nameCount++);
    this.#body.varint(0);
    this.#body.str(name);
  }
}

/** Bit i set when field i differs from `last` (all fields when there is no last value, except zeros). */
function maskOf(now: Counts, last: Counts | undefined): number {
  let mask = 0;
  for (let i = 0; i < FIELDS.length; i++) {
    const f = FIELDS[i];
    if (f === undefined) continue;
    if (now[f] !== (last?.[f] ?? 0)) mask |= 1 << i;
  }
  return mask;
}

export type JournalReplay =
  | {
      readonly kind: 'ok';
      readonly floors: CollectorFloors;
      readonly records: number;
      readonly tornTail: boolean;
      /** The names the journal numbered, in order (a writer appending to it goes on from them). */
      readonly names: readonly string[];
    }
  /** The journal belongs to another checkpoint (it was not started over after the last one): ignored. */
  | { readonly kind: 'other-checkpoint' };

/**
 * Reads a journal written after the checkpoint `checkpointId`: the last value of every counter it
 * recorded, as floors (fields it never recorded are 0: no bound). Never throws.
 */
export function replayJournal(bytes: Uint8Array, checkpointId: number): Result<JournalReplay, string> {
  if (bytes.length < JOURNAL_HEADER_BYTES) return err(`journal shorter than its header (${bytes.length} bytes)`);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== JOURNAL_MAGIC) return err('not a procpush state journal (no PPSJ header)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (crc32(bytes, 9) !== view.getUint32(9, true)) return err('journal header CRC mismatch');
  if (bytes[4] !== JOURNAL_VERSION) return err(`journal format version ${bytes[4] ?? 0}; this procpush reads version ${JOURNAL_VERSION}`);
  if (view.getUint32(5, true) !== checkpointId >>> 0) return ok({ kind: 'other-checkpoint' });

  const groups = new Map<string, { counts: Counts; atMs: number }>();
  const threads = new Map<string, Map<string, Counts>>();
  const counters: CollectorCounters = { scrapeErrors: 0, procReadErrors: 0, partialErrors: 0 };
  const vanished: VanishedProc[] = [];
  const names: string[] = [];
  let records = 0;
  let tornTail = false;
  const r = new ByteReader(bytes, JOURNAL_HEADER_BYTES);
  while (r.remaining > 0) {
    // Each record is checked whole before any of it is applied.
    let body: Uint8Array;
    try {
      const len = r.varint('record length');
      body = r.bytes(len, 'record');
      const crc = r.u32('record CRC');
      if (crc32(body) !== crc) throw new DecodeError('record CRC mismatch');
    } catch {
      tornTail = true;
      break;
    }
    try {
      applyRecord(new ByteReader(body), names, { groups, threads, counters, vanished });
    } catch (e) {
      if (e instanceof DecodeError) return err(`journal record ${records + 1}: ${e.message}`);
      throw e;
    }
    records++;
  }
  return ok({ kind: 'ok', floors: { groups, threads, counters, vanished }, records, tornTail, names });
}

function applyRecord(
  r: ByteReader,
  names: string[],
  into: {
    readonly groups: Map<string, { counts: Counts; atMs: number }>;
    readonly threads: Map<string, Map<string, Counts>>;
    readonly counters: CollectorCounters;
    readonly vanished: VanishedProc[];
  },
): void {
  const { groups, threads, counters } = into;
  const value = (what: string): number => {
    const v = r.num(what);
    if (!Number.isFinite(v) || v < 0) throw new DecodeError(`${what}: ${v} is not a finite number >= 0`);
    return v;
  };
  const name = (): string => {
    const k = r.varint('name');
    if (k === 0) {
      const s = r.str('name');
      names.push(s);
      return s;
    }
    const s = names[k - 1];
    if (s === undefined) throw new DecodeError(`name ${k - 1} of ${names.length}`);
    return s;
  };
  const fields = (into: Counts): void => {
    const mask = r.u8('field mask');
    for (let i = 0; i < FIELDS.length; i++) {
      const f = FIELDS[i];
      if (f !== undefined && (mask & (1 << i)) !== 0) into[f] = value(f);
    }
  };
  const atMs = value('timestamp');
  counters.scrapeErrors = value('scrapeErrors');
  counters.procReadErrors = value('procReadErrors');
  counters.partialErrors = value('partialErrors');
  const nGroups = r.count('groups', 2);
  for (let i = 0; i < nGroups; i++) {
    const g = name();
    let entry = groups.get(g);
    if (entry === undefined) {
      entry = { counts: zeroCounts(), atMs };
      groups.set(g, entry);
    }
    entry.atMs = atMs;
    fields(entry.counts);
  }
  const nThreads = r.count('thread names', 3);
  for (let i = 0; i < nThreads; i++) {
    const g = name();
    const t = name();
    let perGroup = threads.get(g);
    if (perGroup === undefined) {
      perGroup = new Map();
      threads.set(g, perGroup);
    }
    let c = perGroup.get(t);
    if (c === undefined) {
      c = zeroCounts();
      perGroup.set(t, c);
    }
    fields(c);
  }
  const nVanished = r.count('gone processes', 12);
  const gone: VanishedProc[] = [];
  for (let i = 0; i < nVanished; i++) {
    const group = name();
    const pid = r.varint('pid');
    const starttime = value('starttime');
    const startTimeMs = value('startTimeMs');
    const counts = zeroCounts();
    for (const f of FIELDS) counts[f] = value(f);
    gone.push({ pid, starttime, group, startTimeMs, counts });
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes after the end of the record`);
  into.vanished.push(...gone);
}
