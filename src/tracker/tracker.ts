import type { Counts, ProcMetrics, ProcSource, ProcStatic, States, ThreadSample } from '../procfs/types.js';
import type { ProcAttributes } from '../config/matcher.js';
import { addState, copyCounts, subCounts, zeroCounts, zeroStates } from './counts.js';

/** What a namer sees of a new process (process-exporter's ProcAttributes). */
export type NamingAttributes = ProcAttributes;

/** Decides whether a new process is tracked and under which group name. */
export interface Namer {
  matchAndName(attrs: NamingAttributes): { readonly matched: true; readonly name: string } | { readonly matched: false };
}

export interface TrackerOptions {
  readonly namer: Namer;
  /** Unmatched processes join the group of their nearest tracked ancestor (`-children`). */
  readonly children: boolean;
  /** Unmatched processes are re-read and re-offered to the namer every cycle (`-recheck`). */
  readonly recheck: boolean;
  /** With recheck: only while `now < start + limit` (`-recheck-with-time-limit`); 0 means no limit. */
  readonly recheckTimeLimitMs: number;
  /** Resolves an effective uid to a user name ({{.Username}}); cached by the caller or here. */
  readonly lookupUsername: (uid: number) => string;
}

/** A thread of a tracked process, keyed by tid + start time. */
export interface TrackedThread {
  readonly name: string;
  /** Counts at the last read. */
  readonly accum: Counts;
  /** Increase since the previous cycle; 0 in the cycle the thread is first seen. */
  readonly latest: Counts;
  readonly wchan: string;
  readonly lastCycle: number;
}

/** Context-switch counts of one task at the last read, to compute deltas that never go negative. */
interface TaskCtx {
  readonly voluntary: number;
  readonly nonvoluntary: number;
}

/** A process being tracked: its group, latest metrics and the increase seen in the last cycle. */
export interface TrackedProc {
  readonly pid: number;
  readonly starttime: number;
  group: string;
  readonly static: ProcStatic;
  metrics: ProcMetrics;
  /** Increase of the counters in the last cycle (a delta, not a total). */
  lastaccum: Counts;
  /** Threads of a multi-threaded process, by `tid:starttime`; undefined for fewer than 2 threads. */
  threads: Map<string, TrackedThread> | undefined;
  /** Context switches per task (`tid:starttime`, or the process itself when single-threaded). */
  taskCtx: Map<string, TaskCtx>;
  /** Each task's state counted once (upstream counts the main thread twice, #338). */
  states: States;
  /** Wchan of each task counted once; "" is never a key. */
  wchans: Map<string, number>;
  lastCycle: number;
}

export interface CollectErrors {
  /** Processes whose metrics could not be read at all (stat, status or limits) and that had not vanished. */
  read: number;
  /** Processes read fully but for some soft file (io, fd, wchan, smaps, task/ listing); at most 1 each per cycle. */
  partial: number;
}

export type TrackerCycle =
  | { readonly ok: true; readonly errors: CollectErrors; readonly procs: readonly TrackedProc[] }
  | { readonly ok: false; readonly errors: CollectErrors; readonly error: string };

interface NewProc {
  readonly key: string;
  readonly pid: number;
  readonly starttime: number;
  readonly static: ProcStatic;
  readonly metrics: ProcMetrics;
  readonly threads: readonly ThreadSample[] | undefined;
  readonly states: States;
  readonly wchans: Map<string, number>;
  readonly tasks: Map<string, TaskCtx>;
}

function procKey(pid: number, starttime: number): string {
  return `${pid}:${starttime}`;
}

/**
 * Tracks processes across cycles with process-exporter's semantics (proc/tracker.go): identity is
 * pid + start time; new processes are named once (namer, then ancestry with `children`); unmatched
 * ones are ignored forever (never re-read) unless `recheck`; counters become per-cycle deltas, and a
 * process that started after the first cycle contributes its whole lifetime counts when first seen.
 *
 * Intentional differences (docs/compatibility.md): context-switch deltas are computed per task and
 * never go negative (#193, #287), and states/wchans count each thread once (#338).
 */
export class Tracker {
  readonly #opts: TrackerOptions;
  /** Tracked processes; `null` marks an ignored one. */
  readonly #tracked = new Map<string, TrackedProc | null>();
  /** pid → key of the newest identity seen for that pid. */
  readonly #procIds = new Map<number, string>();
  #firstUpdateAtMs: number | undefined;
  #cycle = 0;

  constructor(opts: TrackerOptions) {
    this.#opts = opts;
  }

  get firstUpdateAtMs(): number | undefined {
    return this.#firstUpdateAtMs;
  }

  /** Runs one cycle over `source` at wall-clock time `nowMs`. */
  update(source: ProcSource, nowMs: number): TrackerCycle {
    this.#firstUpdateAtMs ??= nowMs;
    const cycle = ++this.#cycle;
    const errors: CollectErrors = { read: 0, partial: 0 };
    const listing = source.listPids();
    if (!listing.ok) return { ok: false, errors, error: listing.error };

    const newProcs: NewProc[] = [];
    for (const pid of listing.pids) {
      const stat = source.readStat(pid);
      if (stat === undefined) continue;
      const key = procKey(pid, stat.starttime);
      const last = this.#tracked.get(key);
      if (last === null) continue; // ignored: nothing more is read

      const read = source.readMetrics(pid, stat);
      if (read.kind === 'failed') {
        if (!read.vanished) errors.read++;
        continue;
      }
      const threadsRead = source.readThreads(pid);
      if (read.partial || threadsRead.partial) errors.partial++;
      const threads = threadsRead.threads;
      const { tasks, states, wchans } = summariseTasks(pid, stat.starttime, read.metrics, threads);
      const metrics = withTaskCtx(read.metrics, tasks);

      if (last !== undefined) {
        updateTracked(last, { metrics, threads, tasks, states, wchans, cycle });
        continue;
      }
      const staticInfo = source.readStatic(pid, stat);
      if (staticInfo === undefined) continue;
      newProcs.push({ key, pid, starttime: stat.starttime, static: staticInfo, metrics, threads, states, wchans, tasks });
      const oldKey = this.#procIds.get(pid);
      if (oldKey !== undefined) this.#tracked.delete(oldKey);
      this.#procIds.set(pid, key);
    }

    for (const [key, proc] of this.#tracked) {
      if (proc === null) continue;
      if (proc.lastCycle !== cycle) {
        this.#tracked.delete(key);
        this.#procIds.delete(proc.pid);
      }
    }

    this.#nameNewProcs(newProcs, cycle, nowMs);

    const procs: TrackedProc[] = [];
    for (const proc of this.#tracked.values()) if (proc !== null) procs.push(proc);
    return { ok: true, errors, procs };
  }

  #nameNewProcs(newProcs: readonly NewProc[], cycle: number, nowMs: number): void {
    const untracked = new Map<string, NewProc>();
    for (const p of newProcs) {
      const result = this.#opts.namer.matchAndName({
        comm: p.static.comm,
        cmdline: p.static.cmdline,
        cgroups: p.static.cgroups,
        username: this.#opts.lookupUsername(p.static.euid),
        pid: p.pid,
        startTimeMs: p.static.startTimeMs,
      });
      if (result.matched) this.#track(result.name, p, cycle);
      else untracked.set(p.key, p);
    }
    if (!this.#opts.children) return;
    for (const p of untracked.values()) {
      if (this.#tracked.has(p.key)) continue; // tracked or ignored while walking another lineage
      this.#checkAncestry(p, untracked, cycle, nowMs);
    }
  }

  /** Walks up the parents of an unmatched new process; tracks it under the first tracked ancestor's group. */
  #checkAncestry(p: NewProc, newProcs: ReadonlyMap<string, NewProc>, cycle: number, nowMs: number): string {
    const parentKey = this.#procIds.get(p.static.ppid);
    if (parentKey === undefined || p.static.ppid < 1) {
      this.#ignore(p, nowMs);
      return '';
    }
    const parent = this.#tracked.get(parentKey);
    if (parent !== undefined) {
      if (parent !== null) {
        this.#track(parent.group, p, cycle);
        return parent.group;
      }
      this.#ignore(p, nowMs);
      return '';
    }
    const newParent = newProcs.get(parentKey);
    if (newParent !== undefined) {
      const name = this.#checkAncestry(newParent, newProcs, cycle, nowMs);
      if (name !== '') {
        this.#track(name, p, cycle);
        return name;
      }
    }
    this.#ignore(p, nowMs);
    return '';
  }

  #track(group: string, p: NewProc, cycle: number): void {
    const firstUpdate = this.#firstUpdateAtMs ?? 0;
    let threads: Map<string, TrackedThread> | undefined;
    if (p.threads !== undefined && p.threads.length > 0) {
      threads = new Map();
      for (const t of p.threads) {
        threads.set(procKey(t.tid, t.starttime), { name: t.name, accum: t.counts, latest: zeroCounts(), wchan: t.wchan, lastCycle: cycle });
      }
    }
    this.#tracked.set(p.key, {
      pid: p.pid,
      starttime: p.starttime,
      group,
      static: p.static,
      metrics: p.metrics,
      // A process that started after the first cycle counts its whole lifetime; one that was
      // already running then contributes only what it does from now on.
      lastaccum: p.static.startTimeMs > firstUpdate ? copyCounts(p.metrics.counts) : zeroCounts(),
      threads,
      taskCtx: p.tasks,
      states: p.states,
      wchans: p.wchans,
      lastCycle: cycle,
    });
  }

  #ignore(p: NewProc, nowMs: number): void {
    if (this.#opts.recheck) {
      if (this.#opts.recheckTimeLimitMs === 0) return;
      if (p.static.startTimeMs + this.#opts.recheckTimeLimitMs > nowMs) return;
    }
    this.#tracked.set(p.key, null);
  }

  /** Serialisable snapshot, for `once --state` and restart-safe counters. */
  snapshot(): TrackerSnapshot {
    const tracked: TrackedProcSnapshot[] = [];
    const ignored: string[] = [];
    for (const [key, proc] of this.#tracked) {
      if (proc === null) {
        ignored.push(key);
        continue;
      }
      tracked.push({
        pid: proc.pid,
        starttime: proc.starttime,
        group: proc.group,
        static: proc.static,
        metrics: proc.metrics,
        threads: proc.threads === undefined ? null : [...proc.threads].map(([k, t]) => ({ key: k, name: t.name, accum: t.accum, wchan: t.wchan })),
        taskCtx: [...proc.taskCtx].map(([k, c]) => ({ key: k, voluntary: c.voluntary, nonvoluntary: c.nonvoluntary })),
      });
    }
    return { firstUpdateAtMs: this.#firstUpdateAtMs ?? null, tracked, ignored, procIds: [...this.#procIds] };
  }

  /** Restores a snapshot taken by `snapshot()`; the next update continues the counters. */
  restore(s: TrackerSnapshot): void {
    this.#tracked.clear();
    this.#procIds.clear();
    this.#firstUpdateAtMs = s.firstUpdateAtMs ?? undefined;
    const cycle = this.#cycle;
    for (const t of s.tracked) {
      this.#tracked.set(procKey(t.pid, t.starttime), {
        pid: t.pid,
        starttime: t.starttime,
        group: t.group,
        static: t.static,
        metrics: t.metrics,
        lastaccum: zeroCounts(),
        threads:
          t.threads === null
            ? undefined
            : new Map(t.threads.map((th) => [th.key, { name: th.name, accum: th.accum, latest: zeroCounts(), wchan: th.wchan, lastCycle: cycle }])),
        taskCtx: new Map(t.taskCtx.map((c) => [c.key, { voluntary: c.voluntary, nonvoluntary: c.nonvoluntary }])),
        states: zeroStates(),
        wchans: new Map(),
        lastCycle: cycle,
      });
    }
    for (const key of s.ignored) this.#tracked.set(key, null);
    for (const [pid, key] of s.procIds) this.#procIds.set(pid, key);
  }
}

export interface TrackedProcSnapshot {
  readonly pid: number;
  readonly starttime: number;
  readonly group: string;
  readonly static: ProcStatic;
  readonly metrics: ProcMetrics;
  readonly threads: readonly { readonly key: string; readonly name: string; readonly accum: Counts; readonly wchan: string }[] | null;
  readonly taskCtx: readonly { readonly key: string; readonly voluntary: number; readonly nonvoluntary: number }[];
}

export interface TrackerSnapshot {
  readonly firstUpdateAtMs: number | null;
  readonly tracked: readonly TrackedProcSnapshot[];
  readonly ignored: readonly string[];
  readonly procIds: readonly (readonly [number, string])[];
}

/** Tasks (threads, or the process itself), states and wchans of one process, each task counted once. */
function summariseTasks(
  pid: number,
  starttime: number,
  metrics: ProcMetrics,
  threads: readonly ThreadSample[] | undefined,
): { tasks: Map<string, TaskCtx>; states: States; wchans: Map<string, number> } {
  const tasks = new Map<string, TaskCtx>();
  const states = zeroStates();
  const wchans = new Map<string, number>();
  if (threads === undefined) {
    tasks.set(procKey(pid, starttime), {
      voluntary: metrics.counts.ctxSwitchVoluntary,
      nonvoluntary: metrics.counts.ctxSwitchNonvoluntary,
    });
    addState(states, metrics.state);
    if (metrics.wchan !== '') wchans.set(metrics.wchan, 1);
    return { tasks, states, wchans };
  }
  for (const t of threads) {
    tasks.set(procKey(t.tid, t.starttime), { voluntary: t.counts.ctxSwitchVoluntary, nonvoluntary: t.counts.ctxSwitchNonvoluntary });
    addState(states, t.state);
    if (t.wchan !== '') wchans.set(t.wchan, (wchans.get(t.wchan) ?? 0) + 1);
  }
  return { tasks, states, wchans };
}

/** The process's context switches are the sum over its live tasks, as process-exporter reports them. */
function withTaskCtx(metrics: ProcMetrics, tasks: ReadonlyMap<string, TaskCtx>): ProcMetrics {
  let voluntary = 0;
  let nonvoluntary = 0;
  for (const t of tasks.values()) {
    voluntary += t.voluntary;
    nonvoluntary += t.nonvoluntary;
  }
  if (voluntary === metrics.counts.ctxSwitchVoluntary && nonvoluntary === metrics.counts.ctxSwitchNonvoluntary) return metrics;
  return { ...metrics, counts: { ...metrics.counts, ctxSwitchVoluntary: voluntary, ctxSwitchNonvoluntary: nonvoluntary } };
}

interface Observation {
  readonly metrics: ProcMetrics;
  readonly threads: readonly ThreadSample[] | undefined;
  readonly tasks: Map<string, TaskCtx>;
  readonly states: States;
  readonly wchans: Map<string, number>;
  readonly cycle: number;
}

function updateTracked(tp: TrackedProc, o: Observation): void {
  const delta = subCounts(o.metrics.counts, tp.metrics.counts);
  // Context switches: per-task increases, so a thread that exits never makes the sum go down
  // (upstream subtracts live-thread sums as uint64 and wraps: #193, #287).
  let voluntary = 0;
  let nonvoluntary = 0;
  for (const [key, cur] of o.tasks) {
    const prev = tp.taskCtx.get(key);
    voluntary += prev === undefined ? cur.voluntary : Math.max(0, cur.voluntary - prev.voluntary);
    nonvoluntary += prev === undefined ? cur.nonvoluntary : Math.max(0, cur.nonvoluntary - prev.nonvoluntary);
  }
  delta.ctxSwitchVoluntary = voluntary;
  delta.ctxSwitchNonvoluntary = nonvoluntary;
  tp.lastaccum = delta;
  tp.metrics = o.metrics;
  tp.taskCtx = o.tasks;
  tp.states = o.states;
  tp.wchans = o.wchans;
  tp.lastCycle = o.cycle;

  if (o.threads !== undefined && o.threads.length > 1) {
    const threads = tp.threads ?? new Map<string, TrackedThread>();
    for (const t of o.threads) {
      const key = procKey(t.tid, t.starttime);
      const old = threads.get(key);
      threads.set(key, {
        name: t.name,
        accum: t.counts,
        latest: old === undefined ? zeroCounts() : subCounts(t.counts, old.accum),
        wchan: t.wchan,
        lastCycle: o.cycle,
      });
    }
    for (const [key, t] of threads) if (t.lastCycle !== o.cycle) threads.delete(key);
    tp.threads = threads;
  } else {
    tp.threads = undefined;
  }
}

