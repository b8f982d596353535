import type { SinkStats } from '../push/types.js';
import type { Label, MetricFamily, MetricType, Sample } from '../series/types.js';

/** What the agent knows about itself after a cycle. */
export interface AgentHealth {
  readonly version: string;
  readonly cycles: number;
  readonly skippedCycles: number;
  readonly lastCycleSeconds: number;
  readonly lastCycleTimestampMs: number | undefined;
  readonly processesTracked: number;
  readonly readErrors: number;
  readonly partialErrors: number;
  readonly series: number;
  readonly sinks: readonly { readonly name: string; readonly type: string; readonly stats: SinkStats }[];
}

function family(name: string, help: string, type: MetricType, samples: Sample[]): MetricFamily {
  return { name, help, type, samples };
}

/** The `procpush_*` self-metrics, served on the listener and pushed with the data. */
export function buildSelfFamilies(h: AgentHealth): MetricFamily[] {
  const perSink = (pick: (s: SinkStats) => number | undefined): Sample[] =>
    h.sinks.flatMap((s) => {
      const v = pick(s.stats);
      return v === undefined ? [] : [{ labels: [{ name: 'sink', value: s.name }, { name: 'type', value: s.type }] as Label[], value: v }];
    });
  const out: MetricFamily[] = [
    family('procpush_build_info', 'procpush version', 'gauge', [{ labels: [{ name: 'version', value: h.version }], value: 1 }]),
    family('procpush_cycles_total', 'Collection cycles run', 'counter', [{ labels: [], value: h.cycles }]),
    family('procpush_cycles_skipped_total', 'Scheduled cycles skipped because the previous one was still running', 'counter', [
      { labels: [], value: h.skippedCycles },
    ]),
    family('procpush_cycle_duration_seconds', 'Duration of the last collection cycle (reading /proc and building series)', 'gauge', [
      { labels: [], value: h.lastCycleSeconds },
    ]),
    family('procpush_processes_tracked', 'Processes tracked in the last cycle', 'gauge', [{ labels: [], value: h.processesTracked }]),
    family('procpush_read_errors_total', 'Processes whose metrics could not be read (kind="read") or only partly (kind="partial")', 'counter', [
      { labels: [{ name: 'kind', value: 'partial' }], value: h.partialErrors },
      { labels: [{ name: 'kind', value: 'read' }], value: h.readErrors },
    ]),
    family('procpush_series', 'namedprocess_* series produced by the last cycle', 'gauge', [{ labels: [], value: h.series }]),
    family('procpush_sink_samples_sent_total', 'Samples accepted by the receiver', 'counter', perSink((s) => s.samplesSentTotal)),
    family('procpush_sink_samples_failed_total', 'Samples rejected by the receiver with a non-retryable status', 'counter', perSink((s) => s.samplesFailedTotal)),
    family('procpush_sink_samples_retried_total', 'Samples in requests that failed with a retryable error', 'counter', perSink((s) => s.samplesRetriedTotal)),
    family('procpush_sink_samples_dropped_total', 'Samples given up without a rejection (queue overflow, invalid series)', 'counter', perSink((s) => s.samplesDroppedTotal)),
    family('procpush_sink_requests_total', 'HTTP requests made', 'counter', perSink((s) => s.requestsTotal)),
    family(
      'procpush_sink_last_success_timestamp_seconds',
      'Unix time of the last successful push',
      'gauge',
      perSink((s) => (s.lastSuccessTimestampMs === undefined ? undefined : s.lastSuccessTimestampMs / 1000)),
    ),
    family('procpush_sink_queue_batches', 'Batches waiting to be sent', 'gauge', perSink((s) => s.queueBatches)),
    family('procpush_sink_queue_samples', 'Samples waiting to be sent', 'gauge', perSink((s) => s.queueSamples)),
  ];
  if (h.lastCycleTimestampMs !== undefined) {
    out.push(family('procpush_last_cycle_timestamp_seconds', 'Unix time of the last completed cycle', 'gauge', [{ labels: [], value: h.lastCycleTimestampMs / 1000 }]));
  }
  return out;
}
