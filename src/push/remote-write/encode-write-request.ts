/**
 * Remote write 1.0 encoding: payload → one pre-encoded `WriteRequest.timeseries` entry per series →
 * batches → snappy BLOCK-compressed bodies. Pure (no I/O); the field keys come from the .proto via
 * proto-schema.ts and bytes are written with protobufjs' Writer.
 *
 * A WriteRequest is just its repeated entries concatenated, so a batch body is the concatenation of
 * its entries: batching and 413-splitting never re-encode.
 */

import protobuf from 'protobufjs';
import * as snappy from 'snappyjs';

import type { Label, MetricFamily } from '../../series/types.js';
import { buildSeriesLabels, labelSetKey, type StaticLabels } from '../series-labels.js';
import type { RemoteWriteWire } from './proto-schema.js';

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

/**
 * Encodes every valid series of the payload with one sample at `timestampMs`. Everything is written
 * into one buffer and sliced per series, which is about as cheap as encoding the whole request at once.
 */
export function encodePayloadSeries(input: {
  readonly wire: RemoteWriteWire;
  readonly families: readonly MetricFamily[];
  readonly statics: StaticLabels;
  readonly timestampMs: number;
  /** Label names already validated (kept by the sink across cycles). */
  readonly validNameCache: Set<string>;
}): EncodedPayload {
  const { wire, statics, timestampMs, validNameCache } = input;
  const w = protobuf.Writer.create();
  const pending: { key: string; labels: readonly Label[]; start: number; end: number }[] = [];
  const keys = new Set<string>();
  const renamedStatics = new Set<string>();
  let invalidCount = 0;
  let firstInvalidReason: string | undefined;
  const invalid = (reason: string): void => {
    invalidCount += 1;
    firstInvalidReason ??= reason;
  };
  for (const family of input.families) {
    for (const sample of family.samples) {
      const built = buildSeriesLabels({
        metricName: family.name,
        dataLabels: sample.labels,
        statics,
        includeMetricName: true,
        validNameCache,
      });
      if (!built.ok) {
        invalid(built.error);
        continue;
      }
      for (const name of built.value.renamed) renamedStatics.add(name);
      const labels = built.value.labels;
      const key = labelSetKey(labels);
      if (keys.has(key)) {
        invalid(`${family.name}: the same series appears twice in one cycle`);
        continue;
      }
      keys.add(key);
      const start = w.pos;
      writeTimeSeriesEntry(w, wire, labels, [{ timestampMs, value: sample.value, stale: false }]);
      pending.push({ key, labels, start, end: w.pos });
    }
  }
  const buf = w.finish();
  const series = pending.map((p) => ({ key: p.key, labels: p.labels, entry: buf.subarray(p.start, p.end) }));
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

/** Concatenates entries into a WriteRequest and compresses it with snappy BLOCK format (never framed). */
export function compressWriteRequest(chunks: readonly Chunk[]): Uint8Array {
  return snappy.compress(concatBytes(chunks.map((c) => c.bytes)));
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
