import type { Counts, ProcSource } from '../procfs/types.js';
import { addCounts, zeroCounts } from '../tracker/counts.js';
import { buildBudgetFamilies, buildNamedProcessFamilies, SeriesLabelCache } from '../series/namedprocess.js';
import type { SeriesOptions } from '../series/namedprocess.js';
import type { MetricFamily } from '../series/types.js';
import type { AccumFloors, GroupStats, GrouperOptions, GrouperSnapshot } from '../tracker/grouper.js';
import { Grouper } from '../tracker/grouper.js';
import type { TrackedProc } from '../tracker/tracker.js';

export interface CollectorOptions extends GrouperOptions, SeriesOptions {}

/** Error counters carried across cycles (and saved with the state). */
export interface CollectorCounters {
  scrapeErrors: number;
  procReadErrors: number;
  partialErrors: number;
}

export interface CollectorSnapshot {
  readonly grouper: GrouperSnapshot;
  readonly counters: CollectorCounters;
}

/** A tracked process that was gone in a cycle, with the counters it was last read with (state journal). */
export interface VanishedProc {
  readonly pid: number;
  readonly starttime: number;
  readonly group: string;
  readonly startTimeMs: number;
  readonly counts: Counts;
}

/**
 * What the state journal tells a restore: lower bounds for the next cycle's counters (see
 * AccumFloors: what was last pushed before a crash), and the processes gone since the snapshot.
 */
export interface CollectorFloors extends AccumFloors {
  readonly counters: CollectorCounters;
  readonly vanished: readonly VanishedProc[];
}

export interface CycleReport {
  readonly families: MetricFamily[];
  /** Groups of this cycle; undefined when the procfs root could not be listed. */
  readonly groups: ReadonlyMap<string, GroupStats> | undefined;
  /** Error message when the root could not be listed. */
  readonly error: string | undefined;
  /** Processes counted in the groups this cycle. */
  readonly procs: number;
  /** The processes tracked after this cycle, with their group. */
  readonly tracked: readonly TrackedProc[];
  /** Tracked processes gone this cycle, with their last read counters (valid until the next cycle). */
  readonly vanished: readonly TrackedProc[];
  /** Processes of the listing left unread because the cycle time budget ran out (0 without a budget). */
  readonly budgetSkipped: number;
}

/** What the cycle time budget cut so far (not saved with the state). */
export interface BudgetCounters {
  /** Cycles that ran out of budget. */
  readonly exceeded: number;
  /** Processes left unread by those cycles. */
  readonly skippedProcesses: number;
}

/**
 * process-exporter's NamedProcessCollector without the HTTP: one `cycle()` reads /proc, updates the
 * tracker and group totals and returns the `namedprocess_*` families. The first cycle (the startup
 * cycle) only sets the baselines; run it with `prime()` before the first reported cycle.
 */
export class Collector {
  readonly #grouper: Grouper;
  readonly #source: ProcSource;
  readonly #opts: CollectorOptions;
  readonly #counters: CollectorCounters = { scrapeErrors: 0, procReadErrors: 0, partialErrors: 0 };
  /** Label arrays kept across cycles (see SeriesLabelCache). */
  readonly #labels = new SeriesLabelCache();
  #budgetExceeded = 0;
  #budgetSkipped = 0;

  constructor(source: ProcSource, opts: CollectorOptions) {
    this.#source = source;
    this.#opts = opts;
    this.#grouper = new Grouper(opts);
  }

  /** The startup cycle: establishes baselines, reports nothing. */
  prime(nowMs: number): CycleReport {
    return this.cycle(nowMs);
  }

  get primed(): boolean {
    return this.#grouper.firstUpdateAtMs !== undefined;
  }

  cycle(nowMs: number): CycleReport {
    const result = this.#grouper.update(this.#source, nowMs);
    this.#counters.partialErrors += result.errors.partial;
    // Upstream only counts read errors in the startup cycle; we count them every cycle (docs/compatibility.md).
    this.#counters.procReadErrors += result.errors.read;
    if (!result.ok) this.#counters.scrapeErrors++;
    if (result.budget.exceeded) {
      this.#budgetExceeded++;
      this.#budgetSkipped += result.budget.skipped;
    }
    const groups = result.ok ? result.groups : undefined;
    let procs = 0;
    groups?.forEach((g) => {
      procs += g.procs;
    });
    const families = buildNamedProcessFamilies(groups, this.#counters, this.#opts, this.#labels);
    // The budget's counters exist only when a budget is set: without one the output is process-exporter's.
    if ((this.#opts.cycleTimeBudgetMs ?? 0) > 0) families.push(...buildBudgetFamilies(this.budget));
    return {
      families,
      groups,
      error: result.ok ? undefined : result.error,
      procs,
      tracked: result.ok ? result.procs : [],
      vanished: result.ok ? result.vanished : [],
      budgetSkipped: result.budget.skipped,
    };
  }

  /** What the cycle time budget cut since this collector started. */
  get budget(): BudgetCounters {
    return { exceeded: this.#budgetExceeded, skippedProcesses: this.#budgetSkipped };
  }

  /** Error counters so far (copies). */
  get counters(): Readonly<CollectorCounters> {
    return { ...this.#counters };
  }

  snapshot(): CollectorSnapshot {
    return { grouper: this.#grouper.snapshot(), counters: { ...this.#counters } };
  }

  /**
   * Continues from a snapshot; `floors` (the journal of a run that crashed after the snapshot) are
   * lower bounds for the next cycle's counters. The next cycle is a reported one (no startup cycle).
   */
  restore(s: CollectorSnapshot, floors?: CollectorFloors, nowMs = 0): void {
    this.#grouper.restore(s.grouper);
    Object.assign(this.#counters, s.counters);
    if (floors === undefined) return;
    this.#grouper.addToAccum(countedSince(s, floors.vanished), nowMs);
    this.#grouper.setFloors(floors);
    const c = this.#counters;
    c.scrapeErrors = Math.max(c.scrapeErrors, floors.counters.scrapeErrors);
    c.procReadErrors = Math.max(c.procReadErrors, floors.counters.procReadErrors);
    c.partialErrors = Math.max(c.partialErrors, floors.counters.partialErrors);
  }
}

const COUNT_FIELDS = ['cpuUser', 'cpuSystem', 'readBytes', 'writeBytes', 'majorPageFaults', 'minorPageFaults', 'ctxSwitchVoluntary', 'ctxSwitchNonvoluntary'] as const;

/**
 * By group, what processes gone after the snapshot counted after it: for one the snapshot tracked, its
 * last counters minus its baseline in the snapshot; for one it did not (it started later), its whole
 * counters when it started after the first cycle (as the tracker counts them). Context switches are
 * summed per task in the tracker; the difference of the sums is a lower bound (never below 0).
 */
function countedSince(s: CollectorSnapshot, vanished: readonly VanishedProc[]): Map<string, Counts> {
  const tracker = s.grouper.tracker;
  const baselines = new Map(tracker.tracked.map((t) => [t.pid, t]));
  const first = tracker.firstUpdateAtMs;
  const seen = new Set<string>();
  const out = new Map<string, Counts>();
  for (const v of vanished) {
    const key = `${v.pid}:${v.starttime}`;
    const known = baselines.get(v.pid);
    const fromSnapshot = !seen.has(key) && known !== undefined && known.starttime === v.starttime;
    seen.add(key);
    if (!fromSnapshot && (first === null || v.startTimeMs <= first)) continue;
    const increase = zeroCounts();
    for (const f of COUNT_FIELDS) increase[f] = Math.max(0, v.counts[f] - (fromSnapshot ? known.counts[f] : 0));
    let g = out.get(v.group);
    if (g === undefined) {
      g = zeroCounts();
      out.set(v.group, g);
    }
    addCounts(g, increase);
  }
  return out;
}
