import type { Counts, Memory, MetricsRead, ProcMetrics, ProcSource, ProcStatic, States, ThreadSample } from '../procfs/types.js';
import type { Namer } from '../base/process.js';
import { addState, addStates, copyCounts, copyInto, ownedCounts, setZero, subInto, zeroStates } from './counts.js';
import { DOUBLE_SEED, doubleMemory } from '../base/memory.js';
import { monotonicMs } from '../base/monotonic.js';

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
  /**
   * Read smaps_rollup of a tracked process only every Nth cycle (staggered by pid) and keep its last
   * proportional memory in between (`smaps_every`). A new process is always read. Default 1: every cycle.
   */
  readonly smapsEvery?: number;
  /**
   * Per-cycle time budget in ms (`cycle_time_budget`); 0 or undefined: none. Once a cycle has run this
   * long, the rest of its processes are not read: tracked ones are carried over unchanged (no delta
   * this cycle, so nothing is lost: the next read's delta covers both cycles), ignored ones stay
   * ignored, new ones are left for a later cycle. The next cycle starts where this one stopped.
   * The startup cycle, which sets the baselines, has no budget.
   */
  readonly cycleTimeBudgetMs?: number;
  /** Monotonic clock in ms for the budget; defaults to runtime/monotonic.ts. */
  readonly monotonicMs?: () => number;
}

/** A thread of a tracked process, identified by tid + start time. Updated in place every cycle. */
export interface TrackedThread {
  readonly tid: number;
  readonly starttime: number;
  name: string;
  /** Counts at the last read. */
  readonly accum: Counts;
  /** Increase since the previous cycle; 0 in the cycle the thread is first seen. */
  readonly latest: Counts;
  wchan: string;
  lastCycle: number;
}

/** Context-switch counts of one task at the last read, to compute deltas that never go negative. */
interface TaskCtx {
  starttime: number;
  voluntary: number;
  nonvoluntary: number;
  lastCycle: number;
}

/** ProcMetrics owned and updated in place by the tracker. */
interface OwnedMetrics {
  readonly counts: Counts;
  readonly memory: Memory;
  openFds: number;
  fdLimit: number;
  numThreads: number;
  state: string;
  wchan: string;
}

/**
 * A process being tracked: its group, latest metrics and the increase seen in the last cycle.
 * Everything here is owned by the tracker and updated in place each cycle, so that a steady cycle
 * allocates nothing that outlives it: read it during the cycle's report, copy what must be kept.
 */
export interface TrackedProc {
  readonly pid: number;
  readonly starttime: number;
  group: string;
  readonly static: ProcStatic;
  readonly metrics: ProcMetrics;
  /** Increase of the counters in the last cycle (a delta, not a total). */
  readonly lastaccum: Counts;
  /** Threads of a multi-threaded process, by tid; undefined for fewer than 2 threads. */
  readonly threads: ReadonlyMap<number, TrackedThread> | undefined;
  /** Each task's state counted once (upstream counts the main thread twice, #338). */
  readonly states: States;
  /**
   * Wchan of each thread counted once ("" is never a key) for a multi-threaded process; undefined
   * for a single-threaded one, whose only wchan is `metrics.wchan` (a map per process would cost
   * more than its counters in the common case).
   */
  readonly wchans: ReadonlyMap<string, number> | undefined;
  readonly lastCycle: number;
}

/** The tracker's own view of a tracked process (mutable). */
interface Proc {
  readonly kind: 'tracked';
  readonly pid: number;
  readonly starttime: number;
  group: string;
  readonly static: ProcStatic;
  readonly metrics: OwnedMetrics;
  readonly lastaccum: Counts;
  threads: Map<number, TrackedThread> | undefined;
  /**
   * Context switches of the main task (tid = pid) at its last read, kept in fields: most processes
   * are single-threaded, and a map per process would cost more than the process's counters.
   * `mainCtxStart` is the task's start time, -1 when there is no last read.
   */
  mainCtxStart: number;
  mainCtxV: number;
  mainCtxN: number;
  /** Context switches of the other tasks by tid; undefined unless the process has had other threads. */
  taskCtx: Map<number, TaskCtx> | undefined;
  readonly states: States;
  /** See TrackedProc.wchans: undefined while single-threaded. */
  wchans: Map<string, number> | undefined;
  lastCycle: number;
}

/** A process that matched no rule and is never read again (unless recheck). */
interface Ignored {
  readonly kind: 'ignored';
  readonly starttime: number;
  /** Last cycle its pid was listed; an ignored process that is no longer listed is forgotten. */
  listedCycle: number;
}

export interface CollectErrors {
  /** Processes whose metrics could not be read at all (stat, status or limits) and that had not vanished. */
  read: number;
  /** Processes read fully but for some soft file (io, fd, wchan, smaps, task/ listing); at most 1 each per cycle. */
  partial: number;
}

/** What a cycle skipped because of the cycle time budget. */
export interface BudgetReport {
  /** The budget was exhausted before every process was read. */
  readonly exceeded: boolean;
  /** Processes of the listing not read this cycle. */
  readonly skipped: number;
}

/**
 * `procs` and `vanished` (and the processes in them) are the tracker's own state: read them before
 * the next update. `vanished`: tracked processes gone this cycle, with their last read counters.
 */
export type TrackerCycle =
  | { readonly ok: true; readonly errors: CollectErrors; readonly procs: readonly TrackedProc[]; readonly vanished: readonly TrackedProc[]; readonly budget: BudgetReport }
  | { readonly ok: false; readonly errors: CollectErrors; readonly error: string; readonly budget: BudgetReport };

const NO_BUDGET_HIT: BudgetReport = Object.freeze({ exceeded: false, skipped: 0 });

/**
 * Tracks processes across cycles with process-exporter's semantics (proc/tracker.go): identity is
 * pid + start time; new processes are named once (namer, then ancestry with `children`); unmatched
 * ones are ignored forever (never re-read) unless `recheck`; counters become per-cycle deltas, and a
 * process that started after the first cycle contributes its whole lifetime counts when first seen.
 *
 * Intentional differences (docs/compatibility.md): context-switch deltas are computed per task and
 * never go negative (#193, #287), states/wchans count each thread once (#338), and an ignored
 * process is forgotten once its pid is no longer listed (upstream keeps it until the pid is reused).
 *
 * State is kept by pid (a pid has at most one identity at a time) and updated in place.
 */
export class Tracker {
  readonly #opts: TrackerOptions;
  readonly #smapsEvery: number;
  readonly #budgetMs: number;
  readonly #now: () => number;
  /** Tracked and ignored processes by pid. */
  readonly #procs = new Map<number, Proc | Ignored>();
  /** The tracked processes of the last cycle: TrackerCycle.procs, valid until the next update. */
  readonly #procList: TrackedProc[] = [];
  /**
   * The tracked processes that were gone in the last cycle (or replaced by another with their pid),
   * except restored ones never seen since the restore: they did nothing after the snapshot.
   */
  readonly #vanished: TrackedProc[] = [];
  /** The cycle number at the last restore (restored processes carry it until read), -1 before any. */
  #restoreCycle = -1;
  #firstUpdateAtMs: number | undefined;
  #cycle = 0;
  /** With a budget: the pid after which the next cycle starts (the last one read), -1 for the start. */
  #resumeAfterPid = -1;
  /** The next update reads every process whole (no budget, smaps of all): the first after a restore. */
  #fullReadNext = false;

  constructor(opts: TrackerOptions) {
    this.#opts = opts;
    this.#smapsEvery = Math.max(1, Math.floor(opts.smapsEvery ?? 1));
    this.#budgetMs = opts.cycleTimeBudgetMs ?? 0;
    this.#now = opts.monotonicMs ?? monotonicMs;
  }

  get firstUpdateAtMs(): number | undefined {
    return this.#firstUpdateAtMs;
  }

  /** Runs one cycle over `source` at wall-clock time `nowMs`. */
  update(source: ProcSource, nowMs: number): TrackerCycle {
    const firstCycle = this.#firstUpdateAtMs === undefined;
    const fullRead = firstCycle || this.#fullReadNext;
    this.#fullReadNext = false;
    this.#firstUpdateAtMs ??= nowMs;
    const cycle = ++this.#cycle;
    this.#vanished.length = 0;
    const errors: CollectErrors = { read: 0, partial: 0 };
    const startedMs = this.#budgetMs > 0 ? this.#now() : 0;
    const listing = source.listPids();
    if (!listing.ok) return { ok: false, errors, error: listing.error, budget: NO_BUDGET_HIT };

    const pids = listing.pids;
    const n = pids.length;
    // Without a budget (or when the last cycle completed) the listing is walked in order, as upstream.
    const budgeted = this.#budgetMs > 0 && !fullRead;
    const first = budgeted ? startIndex(pids, this.#resumeAfterPid) : 0;
    let skippedFrom = -1;
    const newProcs: Proc[] = [];
    for (let k = 0; k < n; k++) {
      const pid = pids[(first + k) % n] ?? -1;
      if (budgeted && k > 0 && this.#now() - startedMs >= this.#budgetMs) {
        skippedFrom = k;
        break;
      }
      const known = this.#procs.get(pid);
      const stat = source.readStat(pid);
      if (stat === undefined) {
        // A listed pid whose stat cannot be read: an ignored entry stays (it is still there).
        if (known?.kind === 'ignored') known.listedCycle = cycle;
        continue;
      }
      const last = known !== undefined && known.starttime === stat.starttime ? known : undefined;
      if (last?.kind === 'ignored') {
        last.listedCycle = cycle;
        continue; // ignored: nothing more is read
      }
      if (known?.kind === 'ignored') known.listedCycle = cycle; // replaced below if the new process is kept

      const readSmaps = last === undefined || fullRead || this.#smapsEvery === 1 || (cycle + pid) % this.#smapsEvery === 0;
      const read: MetricsRead = readSmaps ? source.readMetrics(pid, stat) : source.readMetrics(pid, stat, { skipSmaps: true });
      if (read.kind === 'failed') {
        if (!read.vanished) errors.read++;
        continue;
      }
      const threadsRead = source.readThreads(pid);
      if (read.partial || threadsRead.partial) errors.partial++;
      const threads = threadsRead.threads;

      if (last !== undefined) {
        updateTracked(last, read.metrics, read.smapsSkipped === true, threads, cycle);
        continue;
      }
      const staticInfo = source.readStatic(pid, stat);
      if (staticInfo === undefined) continue;
      newProcs.push(newProc(pid, stat.starttime, staticInfo, read.metrics, threads, cycle));
      // The pid's previous identity (tracked or ignored) is gone.
      if (known !== undefined) {
        if (known.kind === 'tracked' && known.lastCycle !== this.#restoreCycle) this.#vanished.push(known);
        this.#procs.delete(pid);
      }
    }

    let skipped = 0;
    if (skippedFrom >= 0) {
      skipped = n - skippedFrom;
      // Carried over as if read unchanged: no delta, not vanished. Ignored ones stay ignored.
      for (let k = skippedFrom; k < n; k++) {
        const pid = pids[(first + k) % n] ?? -1;
        const known = this.#procs.get(pid);
        if (known === undefined) continue;
        if (known.kind === 'ignored') {
          known.listedCycle = cycle;
        } else {
          setZero(known.lastaccum);
          for (const t of known.threads?.values() ?? []) {
            setZero(t.latest);
            t.lastCycle = cycle;
          }
          known.lastCycle = cycle;
        }
      }
      this.#resumeAfterPid = pids[(first + skippedFrom - 1) % n] ?? -1;
    } else {
      this.#resumeAfterPid = -1;
    }

    // forEach: no [key, value] pair per entry, as a for-of over entries would allocate.
    this.#procs.forEach((p, pid, map) => {
      if (p.kind === 'tracked' ? p.lastCycle !== cycle : p.listedCycle !== cycle) {
        if (p.kind === 'tracked' && p.lastCycle !== this.#restoreCycle) this.#vanished.push(p);
        map.delete(pid);
      }
    });

    this.#nameNewProcs(newProcs, cycle, nowMs);

    // One array, refilled every cycle (a new one would live through the cycle's reporting and be promoted).
    const procs = this.#procList;
    let count = 0;
    this.#procs.forEach((p) => {
      if (p.kind === 'tracked') procs[count++] = p;
    });
    procs.length = count;
    return { ok: true, errors, procs, vanished: this.#vanished, budget: skipped > 0 ? { exceeded: true, skipped } : NO_BUDGET_HIT };
  }

  #nameNewProcs(newProcs: readonly Proc[], cycle: number, nowMs: number): void {
    let untracked: Map<number, Proc> | undefined;
    for (const p of newProcs) {
      const result = this.#opts.namer.matchAndName({
        comm: p.static.comm,
        cmdline: p.static.cmdline,
        cgroups: p.static.cgroups,
        username: this.#opts.lookupUsername(p.static.euid),
        pid: p.pid,
        startTimeMs: p.static.startTimeMs,
      });
      if (result.matched) this.#track(result.name, p);
      else (untracked ??= new Map()).set(p.pid, p);
    }
    // Without -children an unmatched process is neither tracked nor ignored: it is read and offered
    // to the namer again next cycle, as upstream does.
    if (untracked === undefined || !this.#opts.children) return;
    for (const p of untracked.values()) {
      if (this.#procs.get(p.pid)?.starttime === p.starttime) continue; // tracked or ignored while walking another lineage
      this.#checkAncestry(p, untracked, cycle, nowMs);
    }
  }

  /** Walks up the parents of an unmatched new process; tracks it under the first tracked ancestor's group. */
  #checkAncestry(p: Proc, newProcs: ReadonlyMap<number, Proc>, cycle: number, nowMs: number): string {
    const ppid = p.static.ppid;
    const parent = ppid < 1 ? undefined : this.#procs.get(ppid);
    if (parent !== undefined) {
      if (parent.kind === 'tracked') {
        this.#track(parent.group, p);
        return parent.group;
      }
      this.#ignore(p, nowMs, cycle);
      return '';
    }
    const newParent = ppid < 1 ? undefined : newProcs.get(ppid);
    if (newParent !== undefined) {
      const name = this.#checkAncestry(newParent, newProcs, cycle, nowMs);
      if (name !== '') {
        this.#track(name, p);
        return name;
      }
    }
    this.#ignore(p, nowMs, cycle);
    return '';
  }

  #track(group: string, p: Proc): void {
    const firstUpdate = this.#firstUpdateAtMs ?? 0;
    p.group = group;
    // A process that started after the first cycle counts its whole lifetime; one that was
    // already running then contributes only what it does from now on.
    if (p.static.startTimeMs > firstUpdate) Object.assign(p.lastaccum, p.metrics.counts);
    this.#procs.set(p.pid, p);
  }

  #ignore(p: Proc, nowMs: number, cycle: number): void {
    if (this.#opts.recheck) {
      if (this.#opts.recheckTimeLimitMs === 0) return;
      if (p.static.startTimeMs + this.#opts.recheckTimeLimitMs > nowMs) return;
    }
    this.#procs.set(p.pid, { kind: 'ignored', starttime: p.starttime, listedCycle: cycle });
  }

  /**
   * What continuing needs (the state file): per tracked process its identity, group, start time and
   * last counters, plus per-thread baselines of a multi-threaded one; the ignored processes' identities.
   * Command lines, cgroups and gauges are read again at the next cycle, which reads every process
   * whole (see `restore`). With a cycle time budget that next cycle may carry processes over unread,
   * so the gauges (and thread names, states and wchans) are kept too. Plain data.
   */
  snapshot(): TrackerSnapshot {
    const withGauges = this.#budgetMs > 0;
    const tracked: TrackedProcSnapshot[] = [];
    const ignored: (readonly [number, number])[] = [];
    for (const [pid, p] of this.#procs) {
      if (p.kind === 'ignored') {
        ignored.push([pid, p.starttime]);
        continue;
      }
      const m = p.metrics;
      tracked.push({
        pid: p.pid,
        starttime: p.starttime,
        group: p.group,
        startTimeMs: p.static.startTimeMs,
        counts: copyCounts(m.counts),
        threads:
          p.threads === undefined
            ? null
            : [...p.threads.values()].map((t) => ({
                tid: t.tid,
                starttime: t.starttime,
                counts: copyCounts(t.accum),
                ...(withGauges ? { name: t.name, wchan: t.wchan } : {}),
              })),
        ...(withGauges
          ? { gauges: { memory: { ...m.memory }, openFds: m.openFds, fdLimit: m.fdLimit, numThreads: m.numThreads, state: m.state, wchan: m.wchan, states: { ...p.states } } }
          : {}),
      });
    }
    return {
      firstUpdateAtMs: this.#firstUpdateAtMs ?? null,
      tracked,
      ignored,
      ...(this.#resumeAfterPid >= 0 ? { resumeAfterPid: this.#resumeAfterPid } : {}),
    };
  }

  /**
   * Restores a snapshot taken by `snapshot()`; the next update continues the counters. Unless the
   * snapshot kept the gauges, that update reads every process whole, as the startup cycle does (no
   * cycle time budget, smaps of every process), since only a read gives them. The per-task
   * context-switch baselines are the threads' (a single-threaded process's are its own counts).
   */
  restore(s: TrackerSnapshot): void {
    this.#procs.clear();
    this.#resumeAfterPid = s.resumeAfterPid ?? -1;
    this.#firstUpdateAtMs = s.firstUpdateAtMs ?? undefined;
    this.#fullReadNext = s.tracked.some((t) => t.gauges === undefined);
    const cycle = this.#cycle;
    this.#restoreCycle = cycle;
    for (const [pid, starttime] of s.ignored) this.#procs.set(pid, { kind: 'ignored', starttime, listedCycle: cycle });
    for (const t of s.tracked) this.#procs.set(t.pid, restoredProc(t, cycle));
  }
}

/** A tracked process as a snapshot describes it; see Tracker.restore. */
function restoredProc(t: TrackedProcSnapshot, cycle: number): Proc {
  const g = t.gauges;
  const p = blankProc(t.pid, t.starttime, { comm: '', cmdline: [], ppid: 0, startTimeMs: t.startTimeMs, euid: 0, cgroups: [] }, {
    counts: t.counts,
    memory: g?.memory ?? ZERO_MEMORY,
    openFds: g?.openFds ?? 0,
    fdLimit: g?.fdLimit ?? 0,
    numThreads: g?.numThreads ?? 0,
    state: g?.state ?? '',
    wchan: g?.wchan ?? '',
  }, cycle);
  p.group = t.group;
  if (g !== undefined) addStates(p.states, g.states);
  if (t.threads === null) {
    setMainCtx(p, t.starttime, t.counts.ctxSwitchVoluntary, t.counts.ctxSwitchNonvoluntary);
    return p;
  }
  const threads = new Map<number, TrackedThread>();
  for (const th of t.threads) {
    threads.set(th.tid, { tid: th.tid, starttime: th.starttime, name: th.name ?? '', accum: ownedCounts(th.counts), latest: ownedCounts(), wchan: th.wchan ?? '', lastCycle: cycle });
    const v = th.counts.ctxSwitchVoluntary;
    const nv = th.counts.ctxSwitchNonvoluntary;
    if (th.tid === t.pid) setMainCtx(p, th.starttime, v, nv);
    else (p.taskCtx ??= new Map<number, TaskCtx>()).set(th.tid, { starttime: th.starttime, voluntary: v, nonvoluntary: nv, lastCycle: cycle });
  }
  p.threads = threads;
  if (g !== undefined) {
    const wchans = new Map<string, number>();
    for (const th of threads.values()) if (th.wchan !== '') wchans.set(th.wchan, (wchans.get(th.wchan) ?? 0) + 1);
    p.wchans = wchans;
  }
  return p;
}

/** A thread's counters at the last read: the baseline of its next increase. */
export interface ThreadBaseline {
  readonly tid: number;
  readonly starttime: number;
  readonly counts: Counts;
  /** Kept with the gauges only (see Tracker.snapshot). */
  readonly name?: string;
  readonly wchan?: string;
}

/**
 * What the last read saw besides counters (and each task's state counted once); kept only under a cycle
 * time budget (see Tracker.snapshot).
 */
export type ProcGauges = Omit<ProcMetrics, 'counts'> & { readonly states: States };

export interface TrackedProcSnapshot {
  readonly pid: number;
  readonly starttime: number;
  readonly group: string;
  /** ms since the epoch (oldest_start_time; whether it started after the first cycle). */
  readonly startTimeMs: number;
  /** Counters at the last read (context switches: the sum over the live tasks). */
  readonly counts: Counts;
  /** Threads of a multi-threaded process; null for a single-threaded one. */
  readonly threads: readonly ThreadBaseline[] | null;
  readonly gauges?: ProcGauges;
}

export interface TrackerSnapshot {
  readonly firstUpdateAtMs: number | null;
  readonly tracked: readonly TrackedProcSnapshot[];
  /** pid and start time of the processes that matched no rule. */
  readonly ignored: readonly (readonly [number, number])[];
  /** With a cycle time budget: the last pid the last cycle read before it ran out (`once --state` resumes after it). */
  readonly resumeAfterPid?: number;
}

const ZERO_MEMORY: Memory = Object.freeze({ residentBytes: 0, virtualBytes: 0, vmSwapBytes: 0, proportionalBytes: 0, proportionalSwapBytes: 0 });

/** Index of the first pid after `afterPid` in the listing (the listing is usually ascending), 0 if none. */
function startIndex(pids: readonly number[], afterPid: number): number {
  if (afterPid < 0) return 0;
  const at = pids.indexOf(afterPid);
  if (at >= 0) return (at + 1) % Math.max(1, pids.length);
  for (let i = 0; i < pids.length; i++) if ((pids[i] ?? 0) > afterPid) return i;
  return 0;
}

/** Memory the tracker owns and overwrites every cycle (base/memory.ts, technique 1). */
function ownedMemory(from: Readonly<Memory>): Memory {
  const m = doubleMemory();
  m.residentBytes = from.residentBytes;
  m.virtualBytes = from.virtualBytes;
  m.vmSwapBytes = from.vmSwapBytes;
  m.proportionalBytes = from.proportionalBytes;
  m.proportionalSwapBytes = from.proportionalSwapBytes;
  return m;
}

function copyMetrics(m: ProcMetrics): OwnedMetrics {
  const own: OwnedMetrics = {
    counts: ownedCounts(m.counts),
    memory: ownedMemory(m.memory),
    openFds: DOUBLE_SEED,
    fdLimit: DOUBLE_SEED,
    numThreads: DOUBLE_SEED,
    state: m.state,
    wchan: m.wchan,
  };
  own.openFds = m.openFds;
  own.fdLimit = m.fdLimit;
  own.numThreads = m.numThreads;
  return own;
}

function resetStates(s: States): void {
  s.running = 0;
  s.sleeping = 0;
  s.waiting = 0;
  s.zombie = 0;
  s.other = 0;
}

/** A process seen for the first time, with its own copies of what was read; named later in the cycle. */
/** A tracked process with its own copies of `m`, no group yet, no task seen. */
function blankProc(pid: number, starttime: number, staticInfo: ProcStatic, m: ProcMetrics, cycle: number): Proc {
  return {
    kind: 'tracked',
    pid,
    starttime,
    group: '',
    static: staticInfo,
    metrics: copyMetrics(m),
    lastaccum: ownedCounts(),
    threads: undefined,
    mainCtxStart: -1,
    mainCtxV: 0,
    mainCtxN: 0,
    taskCtx: undefined,
    states: zeroStates(),
    wchans: undefined,
    lastCycle: cycle,
  };
}

function newProc(pid: number, starttime: number, staticInfo: ProcStatic, m: ProcMetrics, threads: readonly ThreadSample[] | undefined, cycle: number): Proc {
  const p = blankProc(pid, starttime, staticInfo, m, cycle);
  observeTasks(p, m, threads, cycle, undefined);
  if (threads !== undefined && threads.length > 0) {
    const map = new Map<number, TrackedThread>();
    for (const t of threads) {
      map.set(t.tid, { tid: t.tid, starttime: t.starttime, name: t.name, accum: ownedCounts(t.counts), latest: ownedCounts(), wchan: t.wchan, lastCycle: cycle });
    }
    p.threads = map;
  }
  return p;
}

/**
 * Records this cycle's tasks: context switches per task (the per-task increases go to `delta`, which
 * never go negative: a task that exits never makes the sum go down, where upstream subtracts
 * live-thread sums as uint64 and wraps, #193 #287), the process's context switches as the sum over
 * its live tasks (as process-exporter reports them), each task's state and wchan counted once.
 */
function observeTasks(p: Proc, m: ProcMetrics, threads: readonly ThreadSample[] | undefined, cycle: number, delta: Counts | undefined): void {
  let dv = 0;
  let dn = 0;
  let sumV = 0;
  let sumN = 0;
  resetStates(p.states);
  if (threads === undefined) {
    const v = m.counts.ctxSwitchVoluntary;
    const nv = m.counts.ctxSwitchNonvoluntary;
    sumV = v;
    sumN = nv;
    const known = p.mainCtxStart === p.starttime;
    dv = ctxIncrease(known, v, p.mainCtxV);
    dn = ctxIncrease(known, nv, p.mainCtxN);
    setMainCtx(p, p.starttime, v, nv);
    // The other tasks are gone: their last reads are forgotten, as any task not seen in a cycle.
    p.taskCtx = undefined;
    addState(p.states, m.state);
    p.wchans = undefined;
  } else {
    let mainSeen = false;
    let othersSeen = 0;
    for (const t of threads) {
      const v = t.counts.ctxSwitchVoluntary;
      const nv = t.counts.ctxSwitchNonvoluntary;
      sumV += v;
      sumN += nv;
      addState(p.states, t.state);
      if (t.tid === p.pid) {
        mainSeen = true;
        const known = p.mainCtxStart === t.starttime;
        dv += ctxIncrease(known, v, p.mainCtxV);
        dn += ctxIncrease(known, nv, p.mainCtxN);
        setMainCtx(p, t.starttime, v, nv);
        continue;
      }
      othersSeen++;
      const ctx = (p.taskCtx ??= new Map<number, TaskCtx>());
      const prev = ctx.get(t.tid);
      if (prev !== undefined && prev.starttime === t.starttime) {
        dv += Math.max(0, v - prev.voluntary);
        dn += Math.max(0, nv - prev.nonvoluntary);
        prev.voluntary = v;
        prev.nonvoluntary = nv;
        prev.lastCycle = cycle;
      } else {
        dv += v;
        dn += nv;
        ctx.set(t.tid, { starttime: t.starttime, voluntary: v, nonvoluntary: nv, lastCycle: cycle });
      }
    }
    if (!mainSeen) p.mainCtxStart = -1;
    const ctx = p.taskCtx;
    if (ctx !== undefined && ctx.size > othersSeen) {
      for (const [tid, c] of ctx) if (c.lastCycle !== cycle) ctx.delete(tid);
    }
    setThreadWchans((p.wchans ??= new Map<string, number>()), threads);
  }
  p.metrics.counts.ctxSwitchVoluntary = sumV;
  p.metrics.counts.ctxSwitchNonvoluntary = sumN;
  if (delta !== undefined) {
    delta.ctxSwitchVoluntary = dv;
    delta.ctxSwitchNonvoluntary = dn;
  }
}

/** A task's context switches since its last read; all of them when it was not read before (`known` false). */
function ctxIncrease(known: boolean, now: number, last: number): number {
  return known ? Math.max(0, now - last) : now;
}

/** The main task's context switches as read this cycle (task start time, voluntary, nonvoluntary). */
function setMainCtx(p: Proc, starttime: number, v: number, nv: number): void {
  p.mainCtxStart = starttime;
  p.mainCtxV = v;
  p.mainCtxN = nv;
}

/** The wchans of the threads, each counted once; keys are updated in place. */
function setThreadWchans(wchans: Map<string, number>, threads: readonly ThreadSample[]): void {
  for (const key of wchans.keys()) wchans.set(key, 0);
  for (const t of threads) if (t.wchan !== '') wchans.set(t.wchan, (wchans.get(t.wchan) ?? 0) + 1);
  for (const [key, n] of wchans) if (n === 0) wchans.delete(key);
}

function updateTracked(tp: Proc, m: ProcMetrics, smapsSkipped: boolean, threads: readonly ThreadSample[] | undefined, cycle: number): void {
  const own = tp.metrics;
  // Counter deltas against the previous read, then the previous read becomes this one.
  subInto(tp.lastaccum, m.counts, own.counts);
  copyInto(own.counts, m.counts);
  observeTasks(tp, m, threads, cycle, tp.lastaccum);

  const mem = own.memory;
  mem.residentBytes = m.memory.residentBytes;
  mem.virtualBytes = m.memory.virtualBytes;
  mem.vmSwapBytes = m.memory.vmSwapBytes;
  // smaps not read this cycle (smaps_every): the last read values stand.
  if (!smapsSkipped) {
    mem.proportionalBytes = m.memory.proportionalBytes;
    mem.proportionalSwapBytes = m.memory.proportionalSwapBytes;
  }
  own.openFds = m.openFds;
  own.fdLimit = m.fdLimit;
  own.numThreads = m.numThreads;
  own.state = m.state;
  own.wchan = m.wchan;
  tp.lastCycle = cycle;

  if (threads !== undefined && threads.length > 1) {
    const map = tp.threads ?? new Map<number, TrackedThread>();
    for (const t of threads) {
      const old = map.get(t.tid);
      if (old !== undefined && old.starttime === t.starttime) {
        subInto(old.latest, t.counts, old.accum);
        copyInto(old.accum, t.counts);
        old.name = t.name;
        old.wchan = t.wchan;
        old.lastCycle = cycle;
      } else {
        map.set(t.tid, { tid: t.tid, starttime: t.starttime, name: t.name, accum: ownedCounts(t.counts), latest: ownedCounts(), wchan: t.wchan, lastCycle: cycle });
      }
    }
    if (map.size > threads.length) {
      for (const [tid, t] of map) if (t.lastCycle !== cycle) map.delete(tid);
    }
    tp.threads = map;
  } else {
    tp.threads = undefined;
  }
}
