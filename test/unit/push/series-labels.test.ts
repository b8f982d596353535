import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildSeriesLabels, checkStaticLabels, labelSetKey, prepareStaticLabels } from '../../../src/push/series-labels.js';
import type { Label } from '../../../src/series/types.js';

function statics(labels: readonly Label[]) {
  const s = prepareStaticLabels(labels);
  assert.ok(s.ok);
  return s.value;
}

void test('checkStaticLabels rejects invalid, reserved, duplicate and data-label names', () => {
  const r = checkStaticLabels(
    [
      { name: 'node', value: 'a' },
      { name: '1bad', value: 'x' },
      { name: '__meta', value: 'x' },
      { name: 'node', value: 'b' },
      { name: 'groupname', value: 'x' },
    ],
    { reservedNames: ['groupname', 'threadname'] },
  );
  assert.equal(r.ok, false);
  assert.equal(r.error.length, 4);
  assert.match(r.error.join('\n'), /"1bad" is invalid/);
  assert.match(r.error.join('\n'), /"__meta" is invalid/);
  assert.match(r.error.join('\n'), /"node" is set twice/);
  assert.match(r.error.join('\n'), /"groupname" is also a label of the exported series/);
});

void test('checkStaticLabels accepts node, ip, instance and team', () => {
  assert.deepEqual(
    checkStaticLabels([
      { name: 'node', value: 'n' },
      { name: 'ip', value: '10.0.0.1' },
      { name: 'instance', value: 'n' },
      { name: 'team', value: 'infra' },
    ]),
    { ok: true, value: undefined },
  );
});

void test('prepareStaticLabels drops empty values and excluded names and sorts', () => {
  const s = prepareStaticLabels(
    [
      { name: 'team', value: 'infra' },
      { name: 'ip', value: '' },
      { name: 'instance', value: 'n1' },
      { name: 'node', value: 'n1' },
    ],
    { exclude: new Set(['instance']) },
  );
  assert.deepEqual(s, { ok: true, value: { labels: [{ name: 'node', value: 'n1' }, { name: 'team', value: 'infra' }] } });
});

void test('buildSeriesLabels keeps the data label and renames the static one on a collision, repeatedly if needed', () => {
  const r = buildSeriesLabels({
    metricName: 'm',
    dataLabels: [
      { name: 'groupname', value: 'data' },
      { name: 'static_groupname', value: 'data2' },
    ],
    statics: statics([{ name: 'groupname', value: 'static' }]),
    includeMetricName: false,
  });
  assert.deepEqual(r, {
    ok: true,
    value: {
      labels: [
        { name: 'groupname', value: 'data' },
        { name: 'static_groupname', value: 'data2' },
        { name: 'static_static_groupname', value: 'static' },
      ],
      renamed: ['groupname'],
    },
  });
});

void test('buildSeriesLabels refuses a data label named like a forbidden (grouping key) label', () => {
  const r = buildSeriesLabels({
    metricName: 'm',
    dataLabels: [{ name: 'instance', value: 'x' }],
    statics: statics([]),
    includeMetricName: false,
    forbiddenDataNames: new Set(['job', 'instance']),
  });
  assert.equal(r.ok, false);
});

void test('labelSetKey is unambiguous where naive joining would collide', () => {
  const a = labelSetKey([
    { name: 'a', value: 'b,c=d' },
  ]);
  const b = labelSetKey([
    { name: 'a', value: 'b' },
    { name: 'c', value: 'd' },
  ]);
  assert.notEqual(a, b);
});
