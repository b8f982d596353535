import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildPushgatewayUrl, encodeGroupingValue } from '../../../../src/push/pushgateway/pushgateway-url.js';

const base = new URL('http://127.0.0.1:9091');

function path(job: string, grouping: { name: string; value: string }[], b: URL = base): string {
  const r = buildPushgatewayUrl(b, job, grouping);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value.toString();
}

void test('buildPushgatewayUrl base64url-encodes the job and every grouping value', () => {
  assert.equal(
    path('procpush', [{ name: 'instance', value: 'node-1' }]),
    'http://127.0.0.1:9091/metrics/job@base64/cHJvY3B1c2g/instance@base64/bm9kZS0x',
  );
});

void test('buildPushgatewayUrl encodes a value with "/" so Go path cleaning never sees it', () => {
  assert.equal(encodeGroupingValue('/var/tmp'), 'L3Zhci90bXA');
  assert.equal(encodeGroupingValue('a/b'), 'YS9i');
  assert.ok(!path('a/b', [{ name: 'path', value: '/var/tmp' }]).includes('%2F'));
});

void test('buildPushgatewayUrl writes an empty value as "="', () => {
  assert.equal(encodeGroupingValue(''), '=');
  assert.equal(path('j', [{ name: 'first', value: '' }]), 'http://127.0.0.1:9091/metrics/job@base64/ag/first@base64/=');
});

void test('buildPushgatewayUrl encodes UTF-8 values with the URL-safe alphabet', () => {
  assert.equal(encodeGroupingValue('Προμηθεύς'), 'zqDPgc6_zrzOt864zrXPjc-C');
  assert.equal(encodeGroupingValue('?>>'), 'Pz4-');
});

void test('buildPushgatewayUrl sorts grouping labels and keeps the base path prefix', () => {
  assert.equal(
    path(
      'j',
      [
        { name: 'zone', value: 'z' },
        { name: 'instance', value: 'i' },
      ],
      new URL('https://gw.example/prefix/'),
    ),
    'https://gw.example/prefix/metrics/job@base64/ag/instance@base64/aQ/zone@base64/eg',
  );
});

void test('buildPushgatewayUrl rejects an empty job and invalid or duplicate label names', () => {
  assert.equal(buildPushgatewayUrl(base, '', []).ok, false);
  assert.equal(buildPushgatewayUrl(base, 'j', [{ name: '1bad', value: 'x' }]).ok, false);
  assert.equal(buildPushgatewayUrl(base, 'j', [{ name: '__x', value: 'x' }]).ok, false);
  assert.equal(buildPushgatewayUrl(base, 'j', [{ name: 'job', value: 'x' }]).ok, false);
  assert.equal(
    buildPushgatewayUrl(base, 'j', [
      { name: 'a', value: '1' },
      { name: 'a', value: '2' },
    ]).ok,
    false,
  );
});
