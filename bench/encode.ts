/**
 * Cost of one remote-write request of 10,000 series, in process, with the real code path of the
 * remote-write sink (src/push/remote-write): the cycle's families are built from group stats
 * (buildNamedProcessFamilies, with the collector's label cache), every series' labels are built and
 * encoded (encodePayloadSeries, with the sink's caches kept across cycles), the stale tracker
 * advances, the entries are batched into one request and snappy-compressed. Values and the timestamp change every cycle, as in a real agent;
 * the label sets stay (the steady state of a fleet node).
 */
import { performance } from 'node:perf_hooks';
import { compressWriteRequest, encodePayloadSeries, planBatches, type Chunk } from '../src/push/remote-write/encode-write-request.js';
import { loadRemoteWriteWire } from '../src/push/remote-write/proto-schema.js';
import { StaleTracker } from '../src/push/remote-write/stale-tracker.js';
import { prepareStaticLabels } from '../src/push/series-labels.js';
import { buildNamedProcessFamilies, SeriesLabelCache } from '../src/series/namedprocess.js';
import type { MetricFamily } from '../src/series/types.js';
import type { GroupStats, ThreadGroup } from '../src/tracker/grouper.js';

export interface EncodeResult {
  readonly series: number;
  readonly cycles: number;
  /** Medians over the measured cycles, ms. */
  readonly familiesMs: number;
  readonly encodeMs: number;
  readonly compressMs: number;
  /** families + encode + compress, median of the per-cycle sums. */
  readonly totalMs: number;
  readonly p90TotalMs: number;
  readonly requestBytes: number;
  readonly compressedBytes: number;
}

const THREAD_NAMES = ['worker', 'gc', 'io'];

function makeGroups(n: number): Map<string, GroupStats> {
  const groups = new Map<string, GroupStats>();
  for (let i = 0; i < n; i++) {
    const threads: ThreadGroup[] = THREAD_NAMES.map((name) => ({
      name: `${name}-${i % 7}`,
      numThreads: 2,
      counts: { cpuUser: 1, cpuSystem: 1, readBytes: 0, writeBytes: 0, majorPageFaults: 0, minorPageFaults: 0, ctxSwitchVoluntary: 0, ctxSwitchNonvoluntary: 0 },
    }));
    groups.set(`service-${String(i).padStart(4, '0')}`, {
      counts: { cpuUser: i, cpuSystem: i, readBytes: 4096 * i, writeBytes: 0, majorPageFaults: 1, minorPageFaults: 1000, ctxSwitchVoluntary: 10, ctxSwitchNonvoluntary: 1 },
      states: { running: 0, sleeping: 3, waiting: 0, zombie: 0, other: 0 },
      wchans: new Map([
        ['do_nanosleep', 2],
        ['ep_poll', 1],
      ]),
      procs: 3,
      memory: { residentBytes: 1e7, virtualBytes: 1e8, vmSwapBytes: 0, proportionalBytes: 9e6, proportionalSwapBytes: 0 },
      oldestStartMs: 1_700_000_000_000,
      openFds: 12,
      worstFdRatio: 0.01,
      numThreads: 9,
      threads,
    });
  }
  return groups;
}

/** Advances every counter of every group a little (the values of the next cycle). */
function advance(groups: Map<string, GroupStats>, cycle: number): void {
  for (const g of groups.values()) {
    g.counts.cpuUser += 0.01 * cycle;
    g.counts.minorPageFaults += cycle;
    g.counts.ctxSwitchVoluntary += 3;
    for (const t of g.threads) t.counts.cpuUser += 0.01;
  }
}

function trim(families: MetricFamily[], total: number): MetricFamily[] {
  const out: MetricFamily[] = [];
  let left = total;
  for (const f of families) {
    if (left <= 0) break;
    const samples = f.samples.length <= left ? f.samples : f.samples.slice(0, left);
    left -= samples.length;
    out.push({ ...f, samples });
  }
  return out;
}

function median(values: readonly number[], q = 0.5): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

export function benchEncode(options: { readonly series: number; readonly warmup: number; readonly cycles: number }): EncodeResult {
  const wire = loadRemoteWriteWire();
  if (!wire.ok) throw new Error(wire.error);
  const statics = prepareStaticLabels([
    { name: 'node', value: 'node-017.example.internal' },
    { name: 'ip', value: '10.20.30.40' },
    { name: 'instance', value: 'node-017.example.internal' },
    { name: 'team', value: 'infra' },
  ]);
  if (!statics.ok) throw new Error(statics.error);
  // 52 series per group (21 + 2 wchans + 2 smaps + 3 thread names × 9).
  const groups = makeGroups(Math.ceil(options.series / 52));
  const errors = { scrapeErrors: 0, procReadErrors: 0, partialErrors: 0 };
  const seriesOptions = { threads: true, gatherSmaps: true };
  const validNameCache = new Set<string>();
  // Kept across cycles, as the collector keeps it.
  const labelCache = new SeriesLabelCache();
  const tracker = new StaleTracker();

  const families: number[] = [];
  const encode: number[] = [];
  const compress: number[] = [];
  const totals: number[] = [];
  let requestBytes = 0;
  let compressedBytes = 0;
  let series = 0;
  const t0 = Date.now();
  for (let cycle = 0; cycle < options.warmup + options.cycles; cycle++) {
    advance(groups, cycle);
    const a = performance.now();
    const built = trim(buildNamedProcessFamilies(groups, errors, seriesOptions, labelCache), options.series);
    const b = performance.now();
    const encoded = encodePayloadSeries({ wire: wire.value, families: built, statics: statics.value, timestampMs: t0 + cycle * 15_000, validNameCache });
    tracker.advance(encoded.series);
    const chunks: Chunk[] = [];
    for (const s of encoded.series) chunks.push({ bytes: s.entry, samples: 1 });
    const batches = planBatches(chunks, { maxSamples: options.series, maxBytes: Number.MAX_SAFE_INTEGER });
    const c = performance.now();
    let compressed = 0;
    let raw = 0;
    for (const batch of batches) {
      compressed += compressWriteRequest(batch).length;
      for (const ch of batch) raw += ch.bytes.length;
    }
    const d = performance.now();
    if (cycle < options.warmup) continue;
    if (batches.length !== 1) throw new Error(`expected one request, got ${batches.length}`);
    series = encoded.series.length;
    requestBytes = raw;
    compressedBytes = compressed;
    families.push(b - a);
    encode.push(c - b);
    compress.push(d - c);
    totals.push(d - a);
  }
  return {
    series,
    cycles: options.cycles,
    familiesMs: median(families),
    encodeMs: median(encode),
    compressMs: median(compress),
    totalMs: median(totals),
    p90TotalMs: median(totals, 0.9),
    requestBytes,
    compressedBytes,
  };
}
