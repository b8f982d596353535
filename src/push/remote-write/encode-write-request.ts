/**
 * Remote write 1.0 encoding: payload → one pre-encoded `WriteRequest.timeseries` entry per series →
 * batches → snappy BLOCK-compressed bodies. No I/O; the field keys come from the .proto via
 * proto-schema.ts. Labels, stale markers and metadata are written with protobufjs' Writer; a cycle's
 * samples reuse each series' cached head (encode-cache.ts) and are compressed by snappy.ts.
 *
 * A WriteRequest is just its repeated entries concatenated, so a batch body is the concatenation of
 * its entries: batching and 413-splitting never re-encode.
 */

import protobuf from 'protobufjs';

import type { Label, MetricFamily } from '../../series/types.js';
import type { StaticLabels } from '../series-labels.js';
import { type CachedSeries, SeriesEncodeCache, seriesHead } from './encode-cache.js';
import type { RemoteWriteWire } from './proto-schema.js';
import { snappyCompress } from './snappy.js';

/** The stale marker 0x7ff0000000000002 as two little-endian 32-bit words (bytes 02 00 00 00 00 00 f0 7f). */
const STALE_NAN_LOW_WORD = 0x0000_0002;
const STALE_NAN_HIGH_WORD = 0x7ff0_0000;

/** One sample on the wire. A stale marker is a flag, never a NaN held in a JS number. */
export interface WireSample {
  readonly timestampMs: number;
  /** Ignored when `stale`. */
  readonly value: number;
  readonly stale: boolean;
}

/** Writes one `WriteRequest.timeseries` entry (key, length, TimeSeries). */
export function writeTimeSeriesEntry(
  w: protobuf.Writer,
  wire: RemoteWriteWire,
  labels: readonly Label[],
  samples: readonly WireSample[],
): void {
  w.uint32(wire.writeRequestTimeseries).fork();
  for (const { name, value } of labels) {
    w.uint32(wire.timeSeriesLabels).fork().uint32(wire.labelName).string(name).uint32(wire.labelValue).string(value).ldelim();
  }
  for (const s of samples) {
    w.uint32(wire.timeSeriesSamples).fork().uint32(wire.sampleValue);
    // Always written, even 0 (proto3 may omit defaults; writing them is legal and keeps -0 exact).
    if (s.stale) w.fixed32(STALE_NAN_LOW_WORD).fixed32(STALE_NAN_HIGH_WORD);
    else w.double(s.value);
    w.uint32(wire.sampleTimestamp).int64(s.timestampMs).ldelim();
  }
  w.ldelim();
}

/** One series as one standalone `WriteRequest.timeseries` entry. */
export function encodeTimeSeriesEntry(wire: RemoteWriteWire, labels: readonly Label[], samples: readonly WireSample[]): Uint8Array {
  const w = protobuf.Writer.create();
  writeTimeSeriesEntry(w, wire, labels, samples);
  return w.finish();
}

/** `WriteRequest.metadata` entries (TYPE and HELP of each family), one chunk for all of them. */
export function encodeMetadataEntries(wire: RemoteWriteWire, families: readonly MetricFamily[]): Uint8Array {
  const w = protobuf.Writer.create();
  const seen = new Set<string>();
  for (const f of families) {
    if (seen.has(f.name) || f.samples.length === 0) continue;
    seen.add(f.name);
    w.uint32(wire.writeRequestMetadata)
      .fork()
      .uint32(wire.metadataType)
      .uint32(f.type === 'counter' ? wire.metricTypes.counter : wire.metricTypes.gauge)
      .uint32(wire.metadataFamilyName)
      .string(f.name)
      .uint32(wire.metadataHelp)
      .string(f.help)
      .ldelim();
  }
  return w.finish();
}

export interface EncodedSeries {
  readonly key: string;
  readonly labels: readonly Label[];
  /** The `WriteRequest.timeseries` entry carrying this cycle's sample. */
  readonly entry: Uint8Array;
}

export interface EncodedPayload {
  /** In payload order (families, then samples). */
  readonly series: readonly EncodedSeries[];
  /** Series left out (invalid names, duplicate label names, the same series twice). */
  readonly invalidCount: number;
  readonly firstInvalidReason?: string;
  /** Static label names renamed because a data label had the same name. */
  readonly renamedStatics: ReadonlySet<string>;
}

/** Per-sink encoder caches, found through the sink's long-lived validNameCache (one per sink). */
const cachesBySink = new WeakMap<Set<string>, SeriesEncodeCache>();

/**
 * Encodes every valid series of the payload with one sample at `timestampMs`, into one buffer sliced
 * per series. Each series' entry up to its value is cached across payloads (SeriesEncodeCache, kept
 * per sink: pass `cache`, or it is the one attached to `validNameCache`), so a steady cycle copies
 * that head and writes the 8-byte value and the timestamp. The bytes are exactly what
 * writeTimeSeriesEntry writes.
 */
export function encodePayloadSeries(input: {
  readonly wire: RemoteWriteWire;
  readonly families: readonly MetricFamily[];
  readonly statics: StaticLabels;
  readonly timestampMs: number;
  /** Label names already validated (kept by the sink across cycles). */
  readonly validNameCache: Set<string>;
  /** Encoded series kept across cycles; defaults to one kept with `validNameCache`. */
  readonly cache?: SeriesEncodeCache;
}): EncodedPayload {
  const { wire, statics, timestampMs, validNameCache } = input;
  let cache = input.cache ?? cachesBySink.get(validNameCache);
  if (cache === undefined) {
    cache = new SeriesEncodeCache();
    cachesBySink.set(validNameCache, cache);
  }
  const cycle = cache.begin(statics);
  // The timestamp field (key + int64 varint) is the same for every series: written once.
  const tsBytes = protobuf.Writer.create().uint32(wire.sampleTimestamp).int64(timestampMs).finish();
  const tsLength = tsBytes.length;

  const picked: CachedSeries[] = [];
  const values: number[] = [];
  const renamedStatics = new Set<string>();
  let invalidCount = 0;
  let firstInvalidReason: string | undefined;
  let total = 0;
  for (const family of input.families) {
    const samples = family.samples;
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i];
      if (sample === undefined) continue;
      const found = cache.lookup(family.name, sample.labels, statics, validNameCache, wire);
      if (found.kind === 'invalid') {
        invalidCount += 1;
        firstInvalidReason ??= found.reason;
        continue;
      }
      for (let r = 0; r < found.renamed.length; r++) renamedStatics.add(found.renamed[r] ?? '');
      if (found.seenCycle === cycle) {
        invalidCount += 1;
        firstInvalidReason ??= `${family.name}: the same series appears twice in one cycle`;
        continue;
      }
      found.seenCycle = cycle;
      picked.push(found);
      values.push(sample.value);
      total += seriesHead(wire, found, tsLength).length + 8 + tsLength;
    }
  }
  cache.end();

  const bytes = new ArrayBuffer(total);
  const buf = new Uint8Array(bytes);
  // setFloat64 little-endian writes the double's 8 bytes as protobufjs' writeDoubleLE does.
  const view = new DataView(bytes);
  const series: EncodedSeries[] = new Array<EncodedSeries>(picked.length);
  let pos = 0;
  for (let i = 0; i < picked.length; i++) {
    const s = picked[i];
    if (s === undefined) continue;
    const start = pos;
    const head = s.head;
    buf.set(head, pos);
    pos += head.length;
    view.setFloat64(pos, values[i] ?? 0, true);
    pos += 8;
    for (let b = 0; b < tsLength; b++) buf[pos + b] = tsBytes[b] ?? 0;
    pos += tsLength;
    series[i] = { key: s.key, labels: s.labels, entry: new Uint8Array(bytes, start, pos - start) };
  }
  return { series, invalidCount, renamedStatics, ...(firstInvalidReason !== undefined ? { firstInvalidReason } : {}) };
}

/** A piece of a WriteRequest body: one or more whole entries, and the samples they carry. */
export interface Chunk {
  readonly bytes: Uint8Array;
  readonly samples: number;
}

/**
 * Greedy, order-preserving split into batches of at most `maxSamples` samples and `maxBytes`
 * uncompressed bytes. A chunk larger than `maxBytes` on its own gets a batch of its own.
 */
export function planBatches(
  chunks: readonly Chunk[],
  limits: { readonly maxSamples: number; readonly maxBytes: number },
): Chunk[][] {
  const batches: Chunk[][] = [];
  let current: Chunk[] = [];
  let samples = 0;
  let bytes = 0;
  for (const c of chunks) {
    if (current.length > 0 && (samples + c.samples > limits.maxSamples || bytes + c.bytes.length > limits.maxBytes)) {
      batches.push(current);
      current = [];
      samples = 0;
      bytes = 0;
    }
    current.push(c);
    samples += c.samples;
    bytes += c.bytes.length;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A WriteRequest of the entries, compressed with snappy BLOCK format (never framed), without concatenating them first. */
export function compressWriteRequest(chunks: readonly Chunk[]): Uint8Array {
  // Entries of one payload are consecutive slices of one buffer: compress them as one run.
  const runs: Uint8Array[] = [];
  let run: Uint8Array | undefined;
  let runStart = 0;
  let runEnd = 0;
  for (const c of chunks) {
    const b = c.bytes;
    if (run !== undefined && b.buffer === run.buffer && b.byteOffset === runEnd) {
      runEnd += b.length;
      continue;
    }
    if (run !== undefined) runs.push(sliceRun(run, runStart, runEnd));
    run = b;
    runStart = b.byteOffset;
    runEnd = b.byteOffset + b.length;
  }
  if (run !== undefined) runs.push(sliceRun(run, runStart, runEnd));
  return snappyCompress(runs);
}

/** The bytes `[start, end)` of `b`'s underlying buffer (absolute offsets). */
function sliceRun(b: Uint8Array, start: number, end: number): Uint8Array {
  return start === b.byteOffset && end === b.byteOffset + b.length ? b : new Uint8Array(b.buffer, start, end - start);
}
