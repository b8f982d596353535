import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  compressWriteRequest,
  encodeMetadataEntries,
  encodePayloadSeries,
  encodeTimeSeriesEntry,
  planBatches,
  type Chunk,
} from '../../../../src/push/remote-write/encode-write-request.js';
import { loadRemoteWriteWire, type RemoteWriteWire } from '../../../../src/push/remote-write/proto-schema.js';
import { prepareStaticLabels, type StaticLabels } from '../../../../src/push/series-labels.js';
import type { Label, MetricFamily } from '../../../../src/series/types.js';
import { decodeRemoteWriteBody, labelsOf, STALE_MARKER_HEX, type DecodedWriteRequest } from '../../../helpers/mock-receiver.js';

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

function decode(chunks: readonly Chunk[]): DecodedWriteRequest {
  const d = decodeRemoteWriteBody(compressWriteRequest(chunks));
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

const TS = 1_700_000_123_456;

function encodeFamilies(families: readonly MetricFamily[], extra: readonly Label[] = []) {
  return encodePayloadSeries({ wire: wire(), families, statics: statics(extra), timestampMs: TS, validNameCache: new Set() });
}

void test('encodePayloadSeries sorts labels in byte order with __name__ and the extra labels, dropping empty values', () => {
  const enc = encodeFamilies(
    [
      {
        name: 'namedprocess_namegroup_num_procs',
        help: 'h',
        type: 'gauge',
        samples: [{ labels: [{ name: 'a', value: '1' }, { name: 'Zeta', value: 'z' }, { name: 'empty', value: '' }, { name: '_x', value: 'u' }], value: 3 }],
      },
    ],
    [
      { name: 'node', value: 'n1' },
      { name: 'ip', value: '' },
    ],
  );
  const decoded = decode(enc.series.map((s) => ({ bytes: s.entry, samples: 1 })));
  const series = decoded.timeseries[0];
  assert.ok(series);
  // 'Z' (0x5a) < '_' (0x5f) < 'a' (0x61): plain byte order, not locale order.
  assert.deepEqual(
    series.labels.map((l) => l.name),
    ['Zeta', '__name__', '_x', 'a', 'node'],
  );
  assert.equal(labelsOf(series)['__name__'], 'namedprocess_namegroup_num_procs');
  assert.deepEqual(series.samples.map((s) => [s.value, s.timestampMs]), [[3, TS]]);
  assert.equal(enc.invalidCount, 0);
});

void test('encodeTimeSeriesEntry writes a stale marker as the exact bytes 02 00 00 00 00 00 f0 7f', () => {
  const entry = encodeTimeSeriesEntry(wire(), [{ name: '__name__', value: 'm' }], [{ timestampMs: TS, value: 0, stale: true }]);
  const decoded = decode([{ bytes: entry, samples: 1 }]);
  const sample = decoded.timeseries[0]?.samples[0];
  assert.ok(sample);
  assert.equal(sample.valueHex, STALE_MARKER_HEX);
  assert.ok(Number.isNaN(sample.value));
  assert.equal(sample.timestampMs, TS);
  // And the raw WriteRequest contains the 8 bytes right after the Sample.value key 0x09.
  const hex = Buffer.from(entry).toString('hex');
  assert.ok(hex.includes(`09${STALE_MARKER_HEX}`));
});

void test('encodeTimeSeriesEntry keeps special floats bit-exact and an ordinary NaN distinct from the stale marker', () => {
  const values = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0, 0, 5e-324, 1e308, 0.1];
  const entry = encodeTimeSeriesEntry(
    wire(),
    [{ name: '__name__', value: 'm' }],
    values.map((value, i) => ({ timestampMs: TS + i, value, stale: false })),
  );
  const samples = decode([{ bytes: entry, samples: values.length }]).timeseries[0]?.samples ?? [];
  const expectedHex = values.map((v) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return b.toString('hex');
  });
  assert.deepEqual(
    samples.map((s) => s.valueHex),
    expectedHex,
  );
  assert.notEqual(samples[2]?.valueHex, STALE_MARKER_HEX);
  assert.equal(samples[3]?.valueHex, '0000000000000080'); // -0 is written, not omitted as a default
  assert.deepEqual(
    samples.map((s) => s.timestampMs),
    values.map((_, i) => TS + i),
  );
});

void test('encodePayloadSeries leaves out invalid series and counts them', () => {
  const enc = encodeFamilies([
    { name: '1bad-name', help: '', type: 'gauge', samples: [{ labels: [], value: 1 }] },
    {
      name: 'good',
      help: '',
      type: 'gauge',
      samples: [
        { labels: [{ name: 'bad-label', value: 'x' }], value: 1 },
        { labels: [{ name: '__reserved', value: 'x' }], value: 1 },
        { labels: [{ name: 'a', value: '1' }, { name: 'a', value: '2' }], value: 1 },
        { labels: [{ name: 'a', value: '1' }], value: 1 },
        { labels: [{ name: 'a', value: '1' }], value: 2 },
      ],
    },
  ]);
  assert.equal(enc.series.length, 1);
  assert.equal(enc.invalidCount, 5);
  assert.match(enc.firstInvalidReason ?? '', /invalid metric name "1bad-name"/);
});

void test('encodePayloadSeries renames a static label that collides with a data label instead of overwriting it', () => {
  const enc = encodeFamilies(
    [{ name: 'm', help: '', type: 'gauge', samples: [{ labels: [{ name: 'groupname', value: 'nginx' }], value: 1 }] }],
    [{ name: 'groupname', value: 'static' }],
  );
  const series = decode(enc.series.map((s) => ({ bytes: s.entry, samples: 1 }))).timeseries[0];
  assert.ok(series);
  assert.deepEqual(labelsOf(series), { __name__: 'm', groupname: 'nginx', static_groupname: 'static' });
  assert.deepEqual([...enc.renamedStatics], ['groupname']);
});

void test('encodePayloadSeries round-trips UTF-8 and escaping-prone label values', () => {
  const values = ['Προμηθεύς', 'a/b', 'quote"back\\slash', 'new\nline', '🚀 emoji'];
  const enc = encodeFamilies([
    { name: 'm', help: '', type: 'gauge', samples: values.map((v) => ({ labels: [{ name: 'v', value: v }], value: 1 })) },
  ]);
  const decoded = decode(enc.series.map((s) => ({ bytes: s.entry, samples: 1 })));
  assert.deepEqual(
    decoded.timeseries.map((t) => labelsOf(t)['v']),
    values,
  );
});

void test('encodeMetadataEntries writes TYPE and HELP per family', () => {
  const w = wire();
  const meta = encodeMetadataEntries(w, [
    { name: 'c_total', help: 'a counter', type: 'counter', samples: [{ labels: [], value: 1 }] },
    { name: 'g', help: 'a gauge', type: 'gauge', samples: [{ labels: [], value: 1 }] },
    { name: 'empty', help: 'no samples', type: 'gauge', samples: [] },
  ]);
  const decoded = decode([{ bytes: meta, samples: 0 }]);
  assert.deepEqual(decoded.metadata, [
    { type: 1, metricFamilyName: 'c_total', help: 'a counter', unit: '' },
    { type: 2, metricFamilyName: 'g', help: 'a gauge', unit: '' },
  ]);
});

void test('planBatches bounds samples and bytes per batch and keeps order', () => {
  const chunk = (id: number, size: number): Chunk => ({ bytes: new Uint8Array(size).fill(id), samples: 1 });
  const chunks = [chunk(1, 10), chunk(2, 10), chunk(3, 10), chunk(4, 50), chunk(5, 10)];
  const bySamples = planBatches(chunks, { maxSamples: 2, maxBytes: 1000 });
  assert.deepEqual(
    bySamples.map((b) => b.map((c) => c.bytes[0])),
    [[1, 2], [3, 4], [5]],
  );
  const byBytes = planBatches(chunks, { maxSamples: 100, maxBytes: 25 });
  // The 50-byte chunk exceeds the cap on its own and gets a batch of its own.
  assert.deepEqual(
    byBytes.map((b) => b.map((c) => c.bytes[0])),
    [[1, 2], [3], [4], [5]],
  );
});

void test('compressWriteRequest produces snappy block format, not the framed format', () => {
  const entry = encodeTimeSeriesEntry(wire(), [{ name: '__name__', value: 'm' }], [{ timestampMs: TS, value: 1, stale: false }]);
  const body = compressWriteRequest([{ bytes: entry, samples: 1 }]);
  assert.notEqual(body[0], 0xff); // framed streams start with ff 06 00 00 sNaPpY
  assert.equal(body[0], entry.length); // block format starts with the uncompressed length (varint)
});
