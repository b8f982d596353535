import type { Sink, SendReport } from '../push/types.js';
import type { Logger } from '../base/logger.js';
import { renderExposition } from '../series/exposition.js';
import type { Label, MetricFamily } from '../series/types.js';
import type { Collector, CycleReport } from '../collector/collector.js';
import { buildSelfFamilies } from './self-metrics.js';

export interface AgentOptions {
  readonly collector: Collector;
  readonly sinks: readonly Sink[];
  /** node, ip, instance and the configured extra labels, sorted; attached to every pushed series. */
  readonly staticLabels: readonly Label[];
  readonly logger: Logger;
  readonly nowMs: () => number;
  /** Monotonic ms, for durations. */
  readonly monotonicMs: () => number;
  readonly version: string;
  /** Time a cycle's pushes may take (ms), e.g. 90% of the interval, so a slow receiver never delays the next cycle's push. */
  readonly sendBudgetMs: number | undefined;
  /** Called with each cycle's report before it is pushed (the state journal). */
  readonly onCollected?: (report: CycleReport) => void;
}

/**
 * The push agent: each cycle reads /proc once, builds the namedprocess and procpush series, hands them
 * to every sink and keeps the exposition for the local listener. Sinks are independent: a cycle never
 * waits for a push, and a slow or failing sink never delays another (each sink serialises its own sends
 * and keeps its own bounded queue).
 */
export class Agent {
  #o: AgentOptions;
  /** Pushes in flight, with their sink. */
  readonly #inflight = new Map<Promise<SendReport>, Sink>();
  #cycles = 0;
  #skipped = 0;
  #lastCycleSeconds = 0;
  #lastCycleTimestampMs: number | undefined;
  #exposition = '';

  constructor(o: AgentOptions) {
    this.#o = o;
  }

  /**
   * Takes a reloaded configuration from the next cycle on. Pushes in flight finish with what they had;
   * counters of the agent itself continue.
   */
  reconfigure(change: Pick<AgentOptions, 'collector' | 'sinks' | 'staticLabels' | 'sendBudgetMs'>): void {
    this.#o = { ...this.#o, ...change };
  }

  get collector(): Collector {
    return this.#o.collector;
  }

  get lastCycleTimestampMs(): number | undefined {
    return this.#lastCycleTimestampMs;
  }

  /** The last cycle's series (namedprocess and procpush), as exposition text. */
  exposition(): string {
    return this.#exposition;
  }

  /** Runs one cycle; resolves when the series are built and handed to the sinks (not when delivered). */
  cycle(): Promise<void> {
    const started = this.#o.monotonicMs();
    const now = this.#o.nowMs();
    const report = this.#o.collector.cycle(now);
    if (report.error !== undefined) this.#o.logger.error({ err: report.error }, 'error reading procs');
    this.#o.onCollected?.(report);
    this.#cycles++;
    this.#lastCycleSeconds = (this.#o.monotonicMs() - started) / 1000;
    this.#lastCycleTimestampMs = now;
    let series = 0;
    for (const f of report.families) series += f.samples.length;
    const families: MetricFamily[] = [...report.families, ...this.#selfFamilies(report.procs, series)];
    this.#exposition = renderExposition(families);
    for (const sink of this.#o.sinks) this.#push(sink, { timestampMs: now, families, extraLabels: this.#o.staticLabels });
    this.#o.logger.info(
      { cycle: this.#cycles, groups: report.groups?.size ?? 0, procs: report.procs, series, ms: Math.round(this.#lastCycleSeconds * 1000), sinks: this.#o.sinks.length },
      'cycle',
    );
    return Promise.resolve();
  }

  /** A scheduled cycle was skipped because the previous one was still running. */
  skipped(scheduledMs: number): void {
    this.#skipped++;
    this.#o.logger.warn({ scheduledAt: new Date(scheduledMs).toISOString() }, 'cycle skipped: the previous one is still running');
  }

  #selfFamilies(procs: number, series: number): MetricFamily[] {
    const c = this.#o.collector.counters;
    return buildSelfFamilies({
      version: this.#o.version,
      cycles: this.#cycles,
      skippedCycles: this.#skipped,
      lastCycleSeconds: this.#lastCycleSeconds,
      lastCycleTimestampMs: this.#lastCycleTimestampMs,
      processesTracked: procs,
      readErrors: c.procReadErrors,
      partialErrors: c.partialErrors,
      series,
      sinks: this.#o.sinks.map((s) => ({ name: s.name, type: s.type, stats: s.stats() })),
    });
  }

  #push(sink: Sink, payload: Parameters<Sink['send']>[0]): void {
    const budget = this.#o.sendBudgetMs;
    const p = sink.send(payload, budget === undefined ? {} : { deadlineMs: payload.timestampMs + budget });
    this.#inflight.set(p, sink);
    void p.then((r) => {
      this.#inflight.delete(p);
      this.#logReport(sink, r, 'push');
    });
  }

  #logReport(sink: Sink, r: SendReport, what: string): void {
    const fields = { sink: sink.name, target: sink.target, outcome: r.outcome, samples: r.samples, delivered: r.deliveredSamples, dropped: r.droppedSamples, attempts: r.attempts, pending: r.pendingBatches, status: r.status, err: r.error };
    if (r.outcome === 'ok') this.#o.logger.debug(fields, `${what} ok`);
    else if (r.outcome === 'failed') this.#o.logger.warn(fields, `${what} failed; will retry with the next cycle`);
    else this.#o.logger.error(fields, `${what}: data dropped`);
  }

  /**
   * Graceful stop: closes every sink. `endSeries`: remote write sends stale markers for every series
   * it pushed, the Pushgateway sink deletes its group when `delete_on_shutdown` is set; otherwise the
   * series are left to be continued by the next start. A sink whose queue survives a restart (remote
   * write with `queue.dir`) closes at once: the push in flight is cut short and what is pending goes
   * to disk. The others first let the pushes in flight finish (up to the deadline). Resolves to true
   * when every sink ended ok.
   */
  async shutdown(deadlineMs: number, options: { readonly endSeries: boolean }): Promise<boolean> {
    const remaining = Math.max(0, deadlineMs - this.#o.nowMs());
    const reports = await Promise.all(
      this.#o.sinks.map(async (s) => {
        if (s.durable !== true) {
          const mine = [...this.#inflight].filter(([, sink]) => sink === s).map(([p]) => p);
          if (mine.length > 0) await Promise.race([Promise.allSettled(mine), new Promise((r) => setTimeout(r, remaining).unref())]);
        }
        const r = await s.close({ deadlineMs, staleMarkers: options.endSeries, ...(options.endSeries ? {} : { deleteGroup: false }) });
        this.#logReport(s, r, 'shutdown flush');
        return r;
      }),
    );
    return reports.every((r) => r.outcome === 'ok');
  }

  /** Waits for every push in flight; resolves to their reports. For one-shot runs. */
  async settle(): Promise<SendReport[]> {
    return Promise.all([...this.#inflight.keys()]);
  }
}
