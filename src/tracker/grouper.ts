import type { Counts, Memory, ProcSource, States } from '../procfs/types.js';
import { addCounts, addStates, copyCounts, maxInto, zeroCounts, zeroStates } from './counts.js';
import type { BudgetReport, CollectErrors, TrackedProc, TrackedThread, TrackerSnapshot, TrackerOptions } from './tracker.js';
import { Tracker } from './tracker.js';

/** Threads of a group that share a thread name. */
export interface ThreadGroup {
  readonly name: string;
  numThreads: number;
  readonly counts: Counts;
}

/** Everything reported for one group in one cycle. Counters are totals since the agent started. */
export interface GroupStats {
  readonly counts: Counts;
  readonly states: States;
  readonly wchans: ReadonlyMap<string, number>;
  readonly procs: number;
  readonly memory: Memory;
  /** Start of the oldest process (ms since the epoch), undefined for an empty group. */
  readonly oldestStartMs: number | undefined;
  readonly openFds: number;
  readonly worstFdRatio: number;
  readonly numThreads: number;
  readonly threads: readonly ThreadGroup[];
}

export interface GrouperOptions extends TrackerOptions {
  /** Forget a group (counters and thread history) once it has no process (`-remove-empty-groups`). */
  readonly removeEmptyGroups: boolean;
}

export type GrouperCycle =
  | {
      readonly ok: true;
      readonly errors: CollectErrors;
      readonly groups: ReadonlyMap<string, GroupStats>;
      /** The processes tracked after this cycle, with their group. */
      readonly procs: readonly TrackedProc[];
      /** Tracked processes gone this cycle, with their last read counters. */
      readonly vanished: readonly TrackedProc[];
      readonly budget: BudgetReport;
    }
  | { readonly ok: false; readonly errors: CollectErrors; readonly error: string; readonly budget: BudgetReport };

/** A group's accumulated counters (and those of its thread names), as the state file keeps them. */
export interface GroupSnapshot {
  readonly name: string;
  readonly counts: Counts;
  /** Wall-clock ms of the last cycle in which the group had a process. */
  readonly lastNonEmptyMs: number;
  /** Accumulated counters per thread name (empty unless the group has multi-threaded processes). */
  readonly threads: readonly { readonly name: string; readonly counts: Counts }[];
}

export interface GrouperSnapshot {
  readonly tracker: TrackerSnapshot;
  readonly groups: readonly GroupSnapshot[];
}

/**
 * Lower bounds for the accumulated counters, applied (field by field, as a maximum) in the first
 * update after they are set, then forgotten: the values last pushed before a crash (the state
 * journal), so that a restore from an older checkpoint never reports a counter below them.
 */
export interface AccumFloors {
  /** By group: its counters, and when they were recorded (the group's last-non-empty time if it is new). */
  readonly groups: ReadonlyMap<string, { readonly counts: Counts; readonly atMs: number }>;
  /** By group, then thread name. */
  readonly threads: ReadonlyMap<string, ReadonlyMap<string, Counts>>;
}

interface GroupAccum {
  readonly counts: Counts;
  lastNonEmptyMs: number;
}

interface GroupBuilder {
  counts: Counts;
  states: States;
  wchans: Map<string, number>;
  procs: number;
  memory: Memory;
  oldestStartMs: number | undefined;
  openFds: number;
  worstFdRatio: number;
  numThreads: number;
  threadTracked: boolean;
  threadsByName: Map<string, ThreadGroup>;
}

function zeroMemory(): Memory {
  return { residentBytes: 0, virtualBytes: 0, vmSwapBytes: 0, proportionalBytes: 0, proportionalSwapBytes: 0 };
}

function newBuilder(): GroupBuilder {
  return {
    counts: zeroCounts(),
    states: zeroStates(),
    wchans: new Map(),
    procs: 0,
    memory: zeroMemory(),
    oldestStartMs: undefined,
    openFds: 0,
    worstFdRatio: 0,
    numThreads: 0,
    threadTracked: false,
    threadsByName: new Map(),
  };
}

function addProc(g: GroupBuilder, p: TrackedProc): void {
  const m = p.metrics;
  g.procs++;
  g.memory.residentBytes += m.memory.residentBytes;
  g.memory.virtualBytes += m.memory.virtualBytes;
  g.memory.vmSwapBytes += m.memory.vmSwapBytes;
  g.memory.proportionalBytes += m.memory.proportionalBytes;
  g.memory.proportionalSwapBytes += m.memory.proportionalSwapBytes;
  if (m.openFds !== -1) g.openFds += m.openFds;
  // A ratio with an unknown count (-1) is negative and NaN never compares greater: neither wins.
  const ratio = m.openFds / m.fdLimit;
  if (g.worstFdRatio < ratio) g.worstFdRatio = ratio;
  g.numThreads += m.numThreads;
  addCounts(g.counts, p.lastaccum);
  addStates(g.states, p.states);
  const start = p.static.startTimeMs;
  if (g.oldestStartMs === undefined || start < g.oldestStartMs) g.oldestStartMs = start;
  // forEach with the builder as `this`: neither a [key, value] pair per entry (for-of over entries)
  // nor a closure per process.
  if (p.wchans === undefined) {
    if (m.wchan !== '') addWchan.call(g, 1, m.wchan);
  } else if (p.wchans.size > 0) {
    p.wchans.forEach(addWchan, g);
  }
  if (p.threads !== undefined && p.threads.size > 1) {
    g.threadTracked = true;
    p.threads.forEach(addThread, g);
  }
}

function addWchan(this: GroupBuilder, n: number, wchan: string): void {
  this.wchans.set(wchan, (this.wchans.get(wchan) ?? 0) + n);
}

function addThread(this: GroupBuilder, t: TrackedThread): void {
  let tg = this.threadsByName.get(t.name);
  if (tg === undefined) {
    tg = { name: t.name, numThreads: 0, counts: zeroCounts() };
    this.threadsByName.set(t.name, tg);
  }
  tg.numThreads++;
  addCounts(tg.counts, t.latest);
}

function toStats(g: GroupBuilder, threads: readonly ThreadGroup[]): GroupStats {
  return {
    counts: g.counts,
    states: g.states,
    wchans: g.wchans,
    procs: g.procs,
    memory: g.memory,
    oldestStartMs: g.oldestStartMs,
    openFds: g.openFds,
    worstFdRatio: g.worstFdRatio,
    numThreads: g.numThreads,
    threads,
  };
}

/**
 * Aggregates tracked processes by group name (process-exporter's proc/grouper.go). Group counters
 * never decrease: each cycle's deltas are added to the group's accumulated totals, which outlive the
 * processes. A group whose processes all exited is still reported (zero gauges) unless
 * `removeEmptyGroups`. Thread counters are kept per thread name; a name that disappears loses its history.
 */
export class Grouper {
  readonly #tracker: Tracker;
  readonly #removeEmptyGroups: boolean;
  readonly #groupAccum = new Map<string, GroupAccum>();
  readonly #threadAccum = new Map<string, Map<string, ThreadGroup>>();
  #floors: AccumFloors | undefined;

  constructor(opts: GrouperOptions) {
    this.#tracker = new Tracker(opts);
    this.#removeEmptyGroups = opts.removeEmptyGroups;
  }

  update(source: ProcSource, nowMs: number): GrouperCycle {
    const cycle = this.#tracker.update(source, nowMs);
    if (!cycle.ok) return cycle;

    const builders = new Map<string, GroupBuilder>();
    const procs = cycle.procs;
    for (let i = 0; i < procs.length; i++) {
      const p = procs[i];
      if (p === undefined) continue;
      let g = builders.get(p.group);
      if (g === undefined) {
        g = newBuilder();
        builders.set(p.group, g);
      }
      addProc(g, p);
    }

    const floors = this.#floors;
    this.#floors = undefined;
    const groups = new Map<string, GroupStats>();
    for (const [name, g] of builders) {
      const old = this.#groupAccum.get(name);
      const floor = floors?.groups.get(name)?.counts;
      if (old === undefined) {
        if (floor !== undefined) maxInto(g.counts, floor);
        this.#groupAccum.set(name, newAccum(g.counts, nowMs));
      } else {
        // The accumulated totals are updated in place (a new object per group per cycle would
        // outlive the cycle and be promoted).
        addCounts(g.counts, old.counts);
        if (floor !== undefined) maxInto(g.counts, floor);
        Object.assign(old.counts, g.counts);
        old.lastNonEmptyMs = nowMs;
      }
      groups.set(name, toStats(g, this.#threads(name, g, floors?.threads.get(name))));
    }

    // Groups that are known only from the floors: they had processes after the state was saved.
    floors?.groups.forEach((f, name) => {
      if (!this.#groupAccum.has(name)) this.#groupAccum.set(name, newAccum(f.counts, f.atMs));
    });

    for (const [name, acc] of this.#groupAccum) {
      if (groups.has(name)) continue;
      if (this.#removeEmptyGroups) {
        this.#groupAccum.delete(name);
        this.#threadAccum.delete(name);
        continue;
      }
      const floor = floors?.groups.get(name)?.counts;
      if (floor !== undefined) maxInto(acc.counts, floor);
      // Kept with its counters and all gauges zero; thread history stays, as upstream keeps it.
      const empty = newBuilder();
      empty.counts = copyCounts(acc.counts);
      groups.set(name, toStats(empty, []));
    }
    return { ok: true, errors: cycle.errors, groups, procs: cycle.procs, vanished: cycle.vanished, budget: cycle.budget };
  }

  #threads(group: string, g: GroupBuilder, floors: ReadonlyMap<string, Counts> | undefined): ThreadGroup[] {
    if (!g.threadTracked) {
      this.#threadAccum.delete(group);
      return [];
    }
    let history = this.#threadAccum.get(group);
    if (history === undefined) {
      history = new Map();
      this.#threadAccum.set(group, history);
    }
    // The history becomes this cycle's thread names and totals, updated in place; a name that
    // disappeared loses its history.
    for (const [name, tg] of g.threadsByName) {
      const old = history.get(name);
      const floor = floors?.get(name);
      if (old === undefined) {
        if (floor !== undefined) maxInto(tg.counts, floor);
        history.set(name, { name, numThreads: tg.numThreads, counts: copyCounts(tg.counts) });
      } else {
        addCounts(tg.counts, old.counts);
        if (floor !== undefined) maxInto(tg.counts, floor);
        old.numThreads = tg.numThreads;
        Object.assign(old.counts, tg.counts);
      }
    }
    if (history.size > g.threadsByName.size) {
      for (const name of history.keys()) if (!g.threadsByName.has(name)) history.delete(name);
    }
    return [...g.threadsByName.values()];
  }

  get firstUpdateAtMs(): number | undefined {
    return this.#tracker.firstUpdateAtMs;
  }

  snapshot(): GrouperSnapshot {
    return {
      tracker: this.#tracker.snapshot(),
      groups: [...this.#groupAccum].map(([name, acc]) => ({
        name,
        counts: copyCounts(acc.counts),
        lastNonEmptyMs: acc.lastNonEmptyMs,
        threads: [...(this.#threadAccum.get(name)?.values() ?? [])].map((t) => ({ name: t.name, counts: copyCounts(t.counts) })),
      })),
    };
  }

  restore(s: GrouperSnapshot): void {
    this.#tracker.restore(s.tracker);
    this.#groupAccum.clear();
    this.#threadAccum.clear();
    this.#floors = undefined;
    for (const g of s.groups) {
      this.#groupAccum.set(g.name, newAccum(g.counts, g.lastNonEmptyMs));
      if (g.threads.length > 0) this.#threadAccum.set(g.name, new Map(g.threads.map((t) => [t.name, { name: t.name, numThreads: 0, counts: copyCounts(t.counts) }])));
    }
  }

  /** Lower bounds for the counters of the next update (see AccumFloors). */
  setFloors(floors: AccumFloors): void {
    this.#floors = floors;
  }

  /**
   * Adds to the groups' totals what processes gone since the snapshot counted after it (from the state
   * journal, right after `restore`): the restored tracker no longer knows them, so no cycle will.
   */
  addToAccum(byGroup: ReadonlyMap<string, Counts>, atMs: number): void {
    byGroup.forEach((counts, name) => {
      const acc = this.#groupAccum.get(name);
      if (acc === undefined) this.#groupAccum.set(name, newAccum(counts, atMs));
      else addCounts(acc.counts, counts);
    });
  }
}

function newAccum(counts: Readonly<Counts>, nowMs: number): GroupAccum {
  // A double from the start, so that storing a time later never allocates (see tracker.ts ownedCounts).
  const acc: GroupAccum = { counts: copyCounts(counts), lastNonEmptyMs: 0.5 };
  acc.lastNonEmptyMs = nowMs;
  return acc;
}
