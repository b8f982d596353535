/**
 * Per-sink cache of each series' encoded `WriteRequest.timeseries` entry up to its sample value: the
 * entry's key and length, the labels (sorted, with `__name__` and the static labels) and the sample's
 * key, length and value key. A steady cycle then writes, per series, that cached head, the 8 bytes of
 * the value and the timestamp: no label building, no sorting, no protobuf writer.
 *
 * Lookup is by the identity of the sample's label array (the namedprocess families reuse each series'
 * array across cycles, see SeriesLabelCache), per family; a sample whose array is new (self-metrics,
 * any other producer) falls back to building its labels and finding the entry by its label-set key,
 * so no series is ever encoded twice. Everything is dropped when the static labels change, and an
 * entry unused for a while is forgotten (the identity map forgets with the arrays themselves).
 */

import protobuf from 'protobufjs';

import type { Label } from '../../series/types.js';
import { buildSeriesLabels, labelSetKey, type StaticLabels } from '../series-labels.js';
import type { RemoteWriteWire } from './proto-schema.js';

export interface CachedSeries {
  readonly kind: 'series';
  readonly key: string;
  readonly labels: readonly Label[];
  /** Static label names renamed because a data label had the same name. */
  readonly renamed: readonly string[];
  /** Encoded Label entries of the TimeSeries (`labels` fields), written once. */
  readonly labelBytes: Uint8Array;
  /** The entry up to the sample's value, for timestamps of `headTsLength` bytes. */
  head: Uint8Array;
  headTsLength: number;
  /** Last cycle the series was written in (duplicate detection, eviction). */
  seenCycle: number;
  /** No longer in the key map (unused for a while); re-entered on use. */
  evicted: boolean;
}

interface InvalidSeries {
  readonly kind: 'invalid';
  readonly reason: string;
}

type Cached = CachedSeries | InvalidSeries;

/** Entries unused for this many cycles leave the key map. */
const EVICT_AFTER_CYCLES = 8;

export class SeriesEncodeCache {
  #staticsKey: string | undefined;
  #byFamily = new Map<string, WeakMap<readonly Label[], Cached>>();
  #byKey = new Map<string, CachedSeries>();
  /** Fallback for label arrays seen for the first time: family name + data label key. */
  #byDataKey = new Map<string, { readonly cached: Cached; lastUsed: number }>();
  #cycle = 0;
  #lastSweep = 0;

  /** Starts a payload: a new cycle number; everything is forgotten when the static labels changed. */
  begin(statics: StaticLabels): number {
    const key = labelSetKey(statics.labels);
    if (key !== this.#staticsKey) {
      this.#staticsKey = key;
      this.#byFamily = new Map();
      this.#byKey = new Map();
      this.#byDataKey = new Map();
    }
    return ++this.#cycle;
  }

  /**
   * The cached series for a sample, or why it cannot be sent. The caller checks `seenCycle` against
   * the cycle for duplicates, then sets it.
   */
  lookup(
    familyName: string,
    dataLabels: readonly Label[],
    statics: StaticLabels,
    validNameCache: Set<string>,
    wire: RemoteWriteWire,
  ): CachedSeries | InvalidSeries {
    let perFamily = this.#byFamily.get(familyName);
    if (perFamily === undefined) {
      perFamily = new WeakMap();
      this.#byFamily.set(familyName, perFamily);
    }
    let cached = perFamily.get(dataLabels);
    if (cached === undefined) {
      cached = this.#resolve(familyName, dataLabels, statics, validNameCache, wire);
      perFamily.set(dataLabels, cached);
    }
    if (cached.kind === 'invalid') return cached;
    let series = cached;
    if (series.evicted) {
      const current = this.#byKey.get(series.key);
      if (current !== undefined) {
        series = current;
        perFamily.set(dataLabels, current);
      } else {
        series.evicted = false;
        this.#byKey.set(series.key, series);
      }
    }
    return series;
  }

  /** Ends a payload: forgets, now and then, what recent cycles did not use. */
  end(): void {
    if (this.#cycle - this.#lastSweep < EVICT_AFTER_CYCLES) return;
    this.#lastSweep = this.#cycle;
    const oldest = this.#cycle - EVICT_AFTER_CYCLES;
    this.#byKey.forEach((s, key, map) => {
      if (s.seenCycle < oldest) {
        s.evicted = true;
        map.delete(key);
      }
    });
    this.#byDataKey.forEach((e, key, map) => {
      if (e.lastUsed < oldest) map.delete(key);
    });
  }

  /** Number of series in the key map (for tests). */
  get size(): number {
    return this.#byKey.size;
  }

  #resolve(familyName: string, dataLabels: readonly Label[], statics: StaticLabels, validNameCache: Set<string>, wire: RemoteWriteWire): Cached {
    const dataKey = `${familyName}\u0000${labelSetKey(dataLabels)}`;
    const known = this.#byDataKey.get(dataKey);
    if (known !== undefined) {
      known.lastUsed = this.#cycle;
      return known.cached;
    }
    const built = buildSeriesLabels({ metricName: familyName, dataLabels, statics, includeMetricName: true, validNameCache });
    let cached: Cached;
    if (!built.ok) {
      cached = { kind: 'invalid', reason: built.error };
    } else {
      const key = labelSetKey(built.value.labels);
      const existing = this.#byKey.get(key);
      if (existing !== undefined) {
        cached = existing;
      } else {
        const series: CachedSeries = {
          kind: 'series',
          key,
          labels: built.value.labels,
          renamed: built.value.renamed,
          labelBytes: encodeLabels(wire, built.value.labels),
          head: EMPTY,
          headTsLength: -1,
          seenCycle: 0,
          evicted: false,
        };
        this.#byKey.set(key, series);
        cached = series;
      }
    }
    this.#byDataKey.set(dataKey, { cached, lastUsed: this.#cycle });
    return cached;
  }
}

const EMPTY = new Uint8Array(0);

/** The TimeSeries `labels` fields, exactly as writeTimeSeriesEntry writes them. */
function encodeLabels(wire: RemoteWriteWire, labels: readonly Label[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const { name, value } of labels) {
    w.uint32(wire.timeSeriesLabels).fork().uint32(wire.labelName).string(name).uint32(wire.labelValue).string(value).ldelim();
  }
  return w.finish();
}

/** Bytes of `n` as a varint (n < 2^32). */
export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/**
 * The head of a series' entry for timestamps (sampleTimestamp key + int64 varint) of `tsLength`
 * bytes: entry key, entry length, labels, samples key, sample length, value key. What follows is
 * the 8-byte value and the timestamp bytes.
 */
export function seriesHead(wire: RemoteWriteWire, series: CachedSeries, tsLength: number): Uint8Array {
  if (series.headTsLength === tsLength) return series.head;
  const sampleLength = varintLength(wire.sampleValue) + 8 + tsLength;
  const timeSeriesLength = series.labelBytes.length + varintLength(wire.timeSeriesSamples) + varintLength(sampleLength) + sampleLength;
  const headLength =
    varintLength(wire.writeRequestTimeseries) +
    varintLength(timeSeriesLength) +
    series.labelBytes.length +
    varintLength(wire.timeSeriesSamples) +
    varintLength(sampleLength) +
    varintLength(wire.sampleValue);
  const head = new Uint8Array(headLength);
  let pos = writeVarint(head, 0, wire.writeRequestTimeseries);
  pos = writeVarint(head, pos, timeSeriesLength);
  head.set(series.labelBytes, pos);
  pos += series.labelBytes.length;
  pos = writeVarint(head, pos, wire.timeSeriesSamples);
  pos = writeVarint(head, pos, sampleLength);
  writeVarint(head, pos, wire.sampleValue);
  series.head = head;
  series.headTsLength = tsLength;
  return head;
}
