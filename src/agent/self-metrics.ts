import type { SinkStats } from '../push/types.js';
import { familyOf, type FamilySpec } from '../series/namedprocess.js';
import type { Label, MetricFamily, Sample } from '../series/types.js';

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

const SINK_LABELS = ['sink', 'type'] as const;

/** The `procpush_*` self-metrics: the agent's part of the metric catalogue. */
export const SELF_FAMILIES = {
  buildInfo: { name: 'procpush_build_info', help: 'procpush version', type: 'gauge', labels: ['version'] },
  cycles: { name: 'procpush_cycles_total', help: 'Collection cycles run', type: 'counter', labels: [] },
  cyclesSkipped: { name: 'procpush_cycles_skipped_total', help: 'Scheduled cycles skipped because the previous one was still running', type: 'counter', labels: [] },
  cycleDuration: {
    name: 'procpush_cycle_duration_seconds',
    help: 'Duration of the last collection cycle (reading /proc and building series)',
    type: 'gauge',
    labels: [],
  },
  processesTracked: { name: 'procpush_processes_tracked', help: 'Processes tracked in the last cycle', type: 'gauge', labels: [] },
  readErrors: {
    name: 'procpush_read_errors_total',
    help: 'Processes whose metrics could not be read (kind="read") or only partly (kind="partial")',
    type: 'counter',
    labels: ['kind'],
  },
  series: { name: 'procpush_series', help: 'namedprocess_* series produced by the last cycle', type: 'gauge', labels: [] },
  samplesSent: { name: 'procpush_sink_samples_sent_total', help: 'Samples accepted by the receiver', type: 'counter', labels: SINK_LABELS },
  samplesFailed: { name: 'procpush_sink_samples_failed_total', help: 'Samples rejected by the receiver with a non-retryable status', type: 'counter', labels: SINK_LABELS },
  samplesRetried: { name: 'procpush_sink_samples_retried_total', help: 'Samples in requests that failed with a retryable error', type: 'counter', labels: SINK_LABELS },
  samplesDropped: {
    name: 'procpush_sink_samples_dropped_total',
    help: 'Samples given up without a rejection (queue overflow, invalid series)',
    type: 'counter',
    labels: SINK_LABELS,
  },
  batchesSuperseded: {
    name: 'procpush_sink_batches_superseded_total',
    help: 'Pushgateway snapshots replaced by a newer one before they could be sent (no data lost: a PUT replaces the group)',
    type: 'counter',
    labels: SINK_LABELS,
  },
  requests: { name: 'procpush_sink_requests_total', help: 'HTTP requests made', type: 'counter', labels: SINK_LABELS },
  lastSuccess: { name: 'procpush_sink_last_success_timestamp_seconds', help: 'Unix time of the last successful push', type: 'gauge', labels: SINK_LABELS },
  queueBatches: { name: 'procpush_sink_queue_batches', help: 'Batches waiting to be sent', type: 'gauge', labels: SINK_LABELS },
  queueSamples: { name: 'procpush_sink_queue_samples', help: 'Samples waiting to be sent', type: 'gauge', labels: SINK_LABELS },
  lastCycle: { name: 'procpush_last_cycle_timestamp_seconds', help: 'Unix time of the last completed cycle', type: 'gauge', labels: [] },
} as const satisfies Record<string, FamilySpec>;

/** The `procpush_*` self-metrics, served on the listener and pushed with the data. */
export function buildSelfFamilies(h: AgentHealth): MetricFamily[] {
  const F = SELF_FAMILIES;
  const perSink = (pick: (s: SinkStats, type: string) => number | undefined): Sample[] =>
    h.sinks.flatMap((s) => {
      const v = pick(s.stats, s.type);
      return v === undefined ? [] : [{ labels: [{ name: 'sink', value: s.name }, { name: 'type', value: s.type }] as Label[], value: v }];
    });
  const out: MetricFamily[] = [
    familyOf(F.buildInfo, [{ labels: [{ name: 'version', value: h.version }], value: 1 }]),
    familyOf(F.cycles, [{ labels: [], value: h.cycles }]),
    familyOf(F.cyclesSkipped, [{ labels: [], value: h.skippedCycles }]),
    familyOf(F.cycleDuration, [{ labels: [], value: h.lastCycleSeconds }]),
    familyOf(F.processesTracked, [{ labels: [], value: h.processesTracked }]),
    familyOf(F.readErrors, [
      { labels: [{ name: 'kind', value: 'partial' }], value: h.partialErrors },
      { labels: [{ name: 'kind', value: 'read' }], value: h.readErrors },
    ]),
    familyOf(F.series, [{ labels: [], value: h.series }]),
    familyOf(F.samplesSent, perSink((s) => s.samplesSentTotal)),
    familyOf(F.samplesFailed, perSink((s) => s.samplesFailedTotal)),
    familyOf(F.samplesRetried, perSink((s) => s.samplesRetriedTotal)),
    familyOf(F.samplesDropped, perSink((s) => s.samplesDroppedTotal)),
    familyOf(F.batchesSuperseded, perSink((s, type) => (type === 'pushgateway' ? s.batchesSupersededTotal : undefined))),
    familyOf(F.requests, perSink((s) => s.requestsTotal)),
    familyOf(F.lastSuccess, perSink((s) => (s.lastSuccessTimestampMs === undefined ? undefined : s.lastSuccessTimestampMs / 1000))),
    familyOf(F.queueBatches, perSink((s) => s.queueBatches)),
    familyOf(F.queueSamples, perSink((s) => s.queueSamples)),
  ];
  if (h.lastCycleTimestampMs !== undefined) out.push(familyOf(F.lastCycle, [{ labels: [], value: h.lastCycleTimestampMs / 1000 }]));
  return out;
}
