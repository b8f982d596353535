import assert from 'node:assert/strict';
import { test } from 'node:test';

import { buildPushgatewaySnapshot } from '../../../../src/push/pushgateway/pushgateway-sink.js';
import type { PushPayload } from '../../../../src/push/types.js';

const url = new URL('http://127.0.0.1:9091');

const payload: PushPayload = {
  timestampMs: 1_700_000_000_000,
  extraLabels: [
    { name: 'instance', value: 'node-1' },
    { name: 'node', value: 'node-1' },
    { name: 'ip', value: '10.0.0.7' },
  ],
  families: [
    {
      name: 'namedprocess_namegroup_num_procs',
      help: 'number of processes in this group',
      type: 'gauge',
      samples: [
        { labels: [{ name: 'groupname', value: 'nginx' }], value: 4 },
        { labels: [{ name: 'groupname', value: 'bash' }], value: 2 },
      ],
    },
  ],
};

void test('buildPushgatewaySnapshot groups by job and the payload instance and puts the static labels on every series', () => {
  const r = buildPushgatewaySnapshot(payload, { url, job: 'procpush', grouping: [] });
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.equal(r.value.url.pathname, '/metrics/job@base64/cHJvY3B1c2g/instance@base64/bm9kZS0x');
  assert.equal(
    r.value.body,
    [
      '# HELP namedprocess_namegroup_num_procs number of processes in this group',
      '# TYPE namedprocess_namegroup_num_procs gauge',
      'namedprocess_namegroup_num_procs{groupname="bash",ip="10.0.0.7",node="node-1"} 2',
      'namedprocess_namegroup_num_procs{groupname="nginx",ip="10.0.0.7",node="node-1"} 4',
      '',
    ].join('\n'),
  );
  assert.equal(r.value.samples, 2);
  assert.doesNotMatch(r.value.body, /instance=/); // carried by the path
});

void test('buildPushgatewaySnapshot lets grouping.instance override the payload instance', () => {
  const r = buildPushgatewaySnapshot(payload, { url, job: 'j', grouping: [{ name: 'instance', value: 'fixed' }, { name: 'dc', value: 'eu/1' }] });
  assert.ok(r.ok);
  assert.equal(r.value.url.pathname, '/metrics/job@base64/ag/dc@base64/ZXUvMQ/instance@base64/Zml4ZWQ');
});

void test('buildPushgatewaySnapshot refuses a payload without any instance', () => {
  const r = buildPushgatewaySnapshot({ ...payload, extraLabels: [] }, { url, job: 'j', grouping: [] });
  assert.equal(r.ok, false);
  assert.match(r.error, /no instance/);
});

void test('buildPushgatewaySnapshot leaves out series whose data labels the grouping key would overwrite', () => {
  const r = buildPushgatewaySnapshot(
    {
      ...payload,
      families: [
        {
          name: 'm',
          help: '',
          type: 'gauge',
          samples: [
            { labels: [{ name: 'job', value: 'x' }], value: 1 },
            { labels: [{ name: 'ok', value: 'y' }], value: 1 },
          ],
        },
      ],
    },
    { url, job: 'j', grouping: [] },
  );
  assert.ok(r.ok);
  assert.equal(r.value.samples, 1);
  assert.equal(r.value.invalidCount, 1);
  assert.match(r.value.firstInvalidReason ?? '', /grouping key/);
});

void test('buildPushgatewaySnapshot never writes timestamps and ends every line with LF', () => {
  const r = buildPushgatewaySnapshot(payload, { url, job: 'j', grouping: [] });
  assert.ok(r.ok);
  assert.ok(r.value.body.endsWith('\n'));
  assert.doesNotMatch(r.value.body, /\r/);
  for (const line of r.value.body.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
    assert.match(line, /\} \S+$/, line); // labels, one space, value, nothing after
  }
});
