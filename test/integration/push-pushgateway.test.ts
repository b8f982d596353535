/**
 * The Pushgateway sink against the real Debian prometheus-pushgateway (1.5.1) on 127.0.0.1.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createSink } from '../../src/push/create-sink.js';
import { sinkConfig, type SinkConfigInput } from '../helpers/sink-config.js';
import type { PushPayload, Sink } from '../../src/push/types.js';
import { createTestSinkDeps } from '../helpers/mock-receiver.js';
import { binaryAvailable, parseExposition, PUSHGATEWAY_BIN, startPushgateway, type ExposedSample, type Receiver } from '../helpers/receivers.js';

const skip = binaryAvailable(PUSHGATEWAY_BIN) ? false : `${PUSHGATEWAY_BIN} not installed`;
let pgw: Receiver | undefined;

before(async () => {
  if (skip === false) pgw = await startPushgateway();
});
after(async () => {
  await pgw?.stop();
});

function receiver(): Receiver {
  assert.ok(pgw, 'pushgateway not started');
  return pgw;
}

function payload(node: string, groups: Readonly<Record<string, number>>, family = 'namedprocess_namegroup_num_procs'): PushPayload {
  return {
    timestampMs: Date.now(),
    extraLabels: [
      { name: 'node', value: node },
      { name: 'ip', value: '192.0.2.1' },
      { name: 'instance', value: node },
    ],
    families: [
      {
        name: family,
        help: 'number of processes in this group',
        type: 'gauge',
        samples: Object.entries(groups).map(([groupname, value]) => ({ labels: [{ name: 'groupname', value: groupname }], value })),
      },
    ],
  };
}

function newSink(extra: Partial<SinkConfigInput> = {}): Sink {
  const s = createSink(sinkConfig({ type: 'pushgateway', url: receiver().url, timeout: '5s', ...extra }), createTestSinkDeps());
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

async function exposed(name: string): Promise<ExposedSample[]> {
  const r = await receiver().get('/metrics');
  assert.equal(r.status, 200, r.body);
  return parseExposition(r.body)
    .filter((s) => s.name === name)
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}

void test('pushgateway keeps the groups of two nodes apart, with node and ip on every series', { skip }, async () => {
  const n1 = newSink();
  const n2 = newSink();
  assert.equal((await n1.send(payload('pg-node-1', { nginx: 4 }))).outcome, 'ok');
  assert.equal((await n2.send(payload('pg-node-2', { nginx: 9 }))).outcome, 'ok');
  assert.deepEqual(await exposed('namedprocess_namegroup_num_procs'), [
    { name: 'namedprocess_namegroup_num_procs', labels: { groupname: 'nginx', instance: 'pg-node-1', ip: '192.0.2.1', job: 'procpush', node: 'pg-node-1' }, value: '4' },
    { name: 'namedprocess_namegroup_num_procs', labels: { groupname: 'nginx', instance: 'pg-node-2', ip: '192.0.2.1', job: 'procpush', node: 'pg-node-2' }, value: '9' },
  ]);
  // PUT replaces the group: a vanished series disappears with the next push.
  await n1.send(payload('pg-node-1', { bash: 1 }));
  assert.deepEqual(
    (await exposed('namedprocess_namegroup_num_procs')).map((s) => `${s.labels['instance'] ?? ''}/${s.labels['groupname'] ?? ''}=${s.value}`),
    ['pg-node-1/bash=1', 'pg-node-2/nginx=9'],
  );
  await n1.close({ deleteGroup: true });
  await n2.close({ deleteGroup: true });
  // The gateway answers a DELETE with 202 and applies it asynchronously: poll (bounded) until it has.
  let left = await exposed('namedprocess_namegroup_num_procs');
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = await exposed('namedprocess_namegroup_num_procs');
  }
  assert.deepEqual(left, []);
});

void test('pushgateway accepts grouping values with "/", empty and UTF-8 values through @base64', { skip }, async () => {
  const s = newSink({ job: 'batch/jobs', grouping: { path: '/var/tmp', empty: '', greek: 'Προμηθεύς' } });
  const r = await s.send(payload('pg-node-3', { a: 1 }, 'namedprocess_grouping_test'));
  assert.equal(r.outcome, 'ok', r.error);
  const got = await exposed('namedprocess_grouping_test');
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]?.labels, {
    groupname: 'a',
    greek: 'Προμηθεύς',
    instance: 'pg-node-3',
    ip: '192.0.2.1',
    job: 'batch/jobs',
    node: 'pg-node-3',
    path: '/var/tmp',
    empty: '', // the gateway exposes its grouping labels as given, even empty ones
  });
  await s.close({ deleteGroup: true });
  assert.deepEqual(await exposed('namedprocess_grouping_test'), []);
});

void test('pushgateway answers an inconsistent push with 400, which the sink drops without retrying', { skip }, async () => {
  const gauge = newSink();
  assert.equal((await gauge.send(payload('pg-node-4', { a: 1 }, 'namedprocess_type_clash'))).outcome, 'ok');
  const counter = newSink();
  const clash: PushPayload = {
    ...payload('pg-node-5', { a: 1 }, 'namedprocess_type_clash'),
    families: [{ name: 'namedprocess_type_clash', help: 'number of processes in this group', type: 'counter', samples: [{ labels: [], value: 1 }] }],
  };
  const r = await counter.send(clash);
  assert.equal(r.outcome, 'dropped');
  assert.equal(r.status, 400);
  assert.equal(r.attempts, 1);
  await gauge.close({ deleteGroup: true });
  await counter.close({ deleteGroup: true });
});

void test('pushgateway sink sends DELETE on shutdown only when delete_on_shutdown is set', { skip }, async () => {
  const keep = newSink();
  const remove = newSink({ delete_on_shutdown: true });
  await keep.send(payload('pg-keep', { a: 1 }, 'namedprocess_delete_test'));
  await remove.send(payload('pg-remove', { a: 1 }, 'namedprocess_delete_test'));
  assert.equal((await keep.close()).outcome, 'ok');
  assert.equal((await remove.close()).outcome, 'ok');
  assert.deepEqual(
    (await exposed('namedprocess_delete_test')).map((s) => s.labels['instance']),
    ['pg-keep'],
  );
  const cleanup = newSink();
  await cleanup.send(payload('pg-keep', { a: 1 }, 'namedprocess_delete_test'));
  await cleanup.close({ deleteGroup: true });
});
