import type { ProcSource } from '../procfs/types.js';
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

/** Lower bounds for the next cycle's counters (see AccumFloors): what was last pushed before a crash. */
export interface CollectorFloors extends AccumFloors {
  readonly counters: CollectorCounters;
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
  restore(s: CollectorSnapshot, floors?: CollectorFloors): void {
    this.#grouper.restore(s.grouper);
    Object.assign(this.#counters, s.counters);
    if (floors === undefined) return;
    this.#grouper.setFloors(floors);
    const c = this.#counters;
    c.scrapeErrors = Math.max(c.scrapeErrors, floors.counters.scrapeErrors);
    c.procReadErrors = Math.max(c.procReadErrors, floors.counters.procReadErrors);
    c.partialErrors = Math.max(c.partialErrors, floors.counters.partialErrors);
  }
}
