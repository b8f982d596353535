import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as snappyjs from 'snappyjs';

import { SeriesEncodeCache } from '../../../../src/push/remote-write/encode-cache.js';
import { compressWriteRequest, encodePayloadSeries, encodeTimeSeriesEntry } from '../../../../src/push/remote-write/encode-write-request.js';
import { loadRemoteWriteWire, type RemoteWriteWire } from '../../../../src/push/remote-write/proto-schema.js';
import { snappyCompress } from '../../../../src/push/remote-write/snappy.js';
import { StaleTracker } from '../../../../src/push/remote-write/stale-tracker.js';
import { buildSeriesLabels, prepareStaticLabels, type StaticLabels } from '../../../../src/push/series-labels.js';
import type { Label, MetricFamily } from '../../../../src/series/types.js';

function wire(): RemoteWriteWire {
  const w = loadRemoteWriteWire();
  if (!w.ok) throw new Error(w.error);
  return w.value;
}

function statics(labels: readonly Label[]): StaticLabels {
  const s = prepareStaticLabels(labels);
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

const W = wire();
const TS = 1_700_000_123_456;
const STATICS = statics([
  { name: 'node', value: 'n1' },
  { name: 'team', value: 'infra' },
]);

/** What the uncached encoder wrote before: one writeTimeSeriesEntry per series. */
function reference(families: readonly MetricFamily[], st: StaticLabels, ts: number): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    for (const s of f.samples) {
      const built = buildSeriesLabels({ metricName: f.name, dataLabels: s.labels, statics: st, includeMetricName: true });
      if (!built.ok) continue;
      const key = JSON.stringify(built.value.labels);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(Buffer.from(encodeTimeSeriesEntry(W, built.value.labels, [{ timestampMs: ts, value: s.value, stale: false }])));
    }
  }
  return out;
}

function families(values: readonly number[], labels: readonly (readonly Label[])[]): MetricFamily[] {
  return [{ name: 'namedprocess_namegroup_cpu_seconds_total', help: 'h', type: 'counter', samples: labels.map((l, i) => ({ labels: l, value: values[i] ?? 0 })) }];
}

void test('cached entries are byte-identical to writeTimeSeriesEntry, cycle after cycle, for any value and timestamp', () => {
  const labels: Label[][] = [
    [{ name: 'groupname', value: 'sshd' }, { name: 'mode', value: 'user' }],
    [{ name: 'groupname', value: 'Προμηθεύς 🚀' }, { name: 'mode', value: 'system' }],
    [{ name: 'groupname', value: '' }, { name: 'mode', value: 'user' }],
  ];
  const cache = new SeriesEncodeCache();
  const validNameCache = new Set<string>();
  fc.assert(
    fc.property(
      fc.array(fc.double(), { minLength: 3, maxLength: 3 }),
      fc.oneof(fc.integer({ min: -(2 ** 40), max: 2 ** 45 }), fc.constantFrom(0, 1, 127, 128, 2 ** 32, 2 ** 53 - 1, -1)),
      (values, ts) => {
        const fams = families(values, labels);
        const enc = encodePayloadSeries({ wire: W, families: fams, statics: STATICS, timestampMs: ts, validNameCache, cache });
        assert.deepEqual(
          enc.series.map((s) => Buffer.from(s.entry).toString('hex')),
          reference(fams, STATICS, ts).map((b) => b.toString('hex')),
        );
      },
    ),
    { seed: 42, numRuns: 300 },
  );
});

void test('new label arrays with the same content hit the same cached series (no re-encoding, same key)', () => {
  const cache = new SeriesEncodeCache();
  const validNameCache = new Set<string>();
  const mk = (): MetricFamily[] => families([1, 2], [[{ name: 'groupname', value: 'a' }], [{ name: 'groupname', value: 'b' }]]);
  const first = encodePayloadSeries({ wire: W, families: mk(), statics: STATICS, timestampMs: TS, validNameCache, cache });
  const second = encodePayloadSeries({ wire: W, families: mk(), statics: STATICS, timestampMs: TS + 1, validNameCache, cache });
  assert.equal(cache.size, 2);
  assert.deepEqual(
    second.series.map((s) => s.key),
    first.series.map((s) => s.key),
  );
  assert.equal(second.series[0]?.labels, first.series[0]?.labels, 'the cached label set is reused');
});

void test('a series twice in one payload is counted once as invalid, also through two different arrays', () => {
  const cache = new SeriesEncodeCache();
  const same: Label[] = [{ name: 'groupname', value: 'a' }];
  const fams: MetricFamily[] = [
    {
      name: 'm',
      help: '',
      type: 'gauge',
      samples: [
        { labels: same, value: 1 },
        { labels: same, value: 2 },
        { labels: [{ name: 'groupname', value: 'a' }], value: 3 },
        // An empty value is dropped, so this is the same series as well.
        { labels: [{ name: 'groupname', value: 'a' }, { name: 'x', value: '' }], value: 4 },
      ],
    },
  ];
  for (let cycle = 0; cycle < 3; cycle++) {
    const enc = encodePayloadSeries({ wire: W, families: fams, statics: STATICS, timestampMs: TS + cycle, validNameCache: new Set(), cache });
    assert.equal(enc.series.length, 1);
    assert.equal(enc.invalidCount, 3);
    assert.match(enc.firstInvalidReason ?? '', /appears twice/);
  }
});

void test('a change of the static labels re-encodes every series with the new ones', () => {
  const cache = new SeriesEncodeCache();
  const labels: Label[] = [{ name: 'groupname', value: 'a' }];
  const fams = families([1], [labels]);
  encodePayloadSeries({ wire: W, families: fams, statics: STATICS, timestampMs: TS, validNameCache: new Set(), cache });
  const other = statics([{ name: 'node', value: 'n2' }]);
  const enc = encodePayloadSeries({ wire: W, families: fams, statics: other, timestampMs: TS, validNameCache: new Set(), cache });
  assert.deepEqual(
    enc.series.map((s) => Buffer.from(s.entry).toString('hex')),
    reference(fams, other, TS).map((b) => b.toString('hex')),
  );
});

void test('series unused for a while leave the cache; the ones in use stay', () => {
  const cache = new SeriesEncodeCache();
  const kept: Label[] = [{ name: 'groupname', value: 'kept' }];
  const gone: Label[] = [{ name: 'groupname', value: 'gone' }];
  encodePayloadSeries({ wire: W, families: families([1, 1], [kept, gone]), statics: STATICS, timestampMs: TS, validNameCache: new Set(), cache });
  assert.equal(cache.size, 2);
  for (let i = 1; i <= 20; i++) {
    encodePayloadSeries({ wire: W, families: families([i], [kept]), statics: STATICS, timestampMs: TS + i, validNameCache: new Set(), cache });
  }
  assert.equal(cache.size, 1);
  // It comes back correctly encoded.
  const fams = families([5, 6], [kept, gone]);
  const enc = encodePayloadSeries({ wire: W, families: fams, statics: STATICS, timestampMs: TS + 99, validNameCache: new Set(), cache });
  assert.deepEqual(
    enc.series.map((s) => Buffer.from(s.entry).toString('hex')),
    reference(fams, STATICS, TS + 99).map((b) => b.toString('hex')),
  );
});

void test('the sink-wide cache defaults to one per validNameCache', () => {
  const names = new Set<string>();
  const fams = families([1], [[{ name: 'groupname', value: 'a' }]]);
  const a = encodePayloadSeries({ wire: W, families: fams, statics: STATICS, timestampMs: TS, validNameCache: names });
  const b = encodePayloadSeries({ wire: W, families: fams, statics: STATICS, timestampMs: TS + 1, validNameCache: names });
  assert.equal(b.series[0]?.labels, a.series[0]?.labels);
});

void test('snappy: any input, in any split, decodes back with an independent decoder', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.constantFrom('groupname', 'sshd', '\u0000', 'x', 'namedprocess_namegroup_'), { maxLength: 4000 }).map((a) => new Uint8Array(Buffer.from(a.join('')))),
      ),
      fc.array(fc.nat(), { maxLength: 6 }),
      (input, cuts) => {
        const points = [...new Set(cuts.map((c) => (input.length === 0 ? 0 : c % input.length)))].sort((x, y) => x - y);
        const parts: Uint8Array[] = [];
        let from = 0;
        for (const p of points) {
          parts.push(input.subarray(from, p));
          from = p;
        }
        parts.push(input.subarray(from));
        const compressed = snappyCompress(parts);
        assert.deepEqual(Buffer.from(snappyjs.uncompress(compressed)), Buffer.from(input));
      },
    ),
    { seed: 7, numRuns: 300 },
  );
});

void test('snappy: large and block-straddling inputs (several 64 KiB blocks, long matches, incompressible data)', () => {
  const sizes = [65535, 65536, 65537, 3 * 65536 + 17, 1_000_000];
  for (const n of sizes) {
    const repetitive = Buffer.alloc(n);
    for (let i = 0; i < n; i++) repetitive[i] = 'namedprocess_namegroup_cpu_seconds_total'.charCodeAt(i % 40) ^ (i % 1009 === 0 ? 1 : 0);
    const random = Buffer.alloc(n);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      random[i] = x >>> 24;
    }
    for (const input of [repetitive, random, Buffer.alloc(n)]) {
      const compressed = snappyCompress([input]);
      assert.deepEqual(Buffer.from(snappyjs.uncompress(compressed)), input);
    }
    assert.ok(snappyCompress([repetitive]).length < n / 5, 'repetitive input compresses');
  }
});

void test('compressWriteRequest over a payload decodes to the concatenated entries', () => {
  const fams = families([1, 2, 3], [[{ name: 'groupname', value: 'a' }], [{ name: 'groupname', value: 'b' }], [{ name: 'groupname', value: 'c' }]]);
  const enc = encodePayloadSeries({ wire: W, families: fams, statics: STATICS, timestampMs: TS, validNameCache: new Set() });
  const stale = encodeTimeSeriesEntry(W, [{ name: '__name__', value: 'gone' }], [{ timestampMs: TS, value: 0, stale: true }]);
  const chunks = [...enc.series.map((s) => ({ bytes: s.entry, samples: 1 })), { bytes: stale, samples: 1 }];
  const expected = Buffer.concat(chunks.map((c) => c.bytes));
  assert.deepEqual(Buffer.from(snappyjs.uncompress(compressWriteRequest(chunks))), expected);
  // Out of order chunks (a 413 split keeps order, but nothing relies on it).
  const reversed = [...chunks].reverse();
  assert.deepEqual(Buffer.from(snappyjs.uncompress(compressWriteRequest(reversed))), Buffer.concat(reversed.map((c) => c.bytes)));
});

void test('staleTracker: duplicate keys in one payload do not hide a series that is gone', () => {
  const t = new StaleTracker();
  const s = (key: string) => ({ key, labels: [{ name: '__name__', value: key }] });
  t.advance([s('a'), s('b')]);
  assert.deepEqual(
    t.advance([s('a'), s('a')]).map((x) => x.key),
    ['b'],
  );
});
