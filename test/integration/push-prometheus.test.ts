/**
 * Remote write against the real Debian Prometheus (2.42, `--web.enable-remote-write-receiver`) on
 * 127.0.0.1: values and labels arrive, and stale markers are stored as staleness.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createSink } from '../../src/push/create-sink.js';
import { sinkConfig } from '../helpers/sink-config.js';
import type { PushPayload, Sink } from '../../src/push/types.js';
import { createTestSinkDeps } from '../helpers/mock-receiver.js';
import { binaryAvailable, instantQuery, PROMETHEUS_BIN, startPrometheus, type Receiver } from '../helpers/receivers.js';

const skip = binaryAvailable(PROMETHEUS_BIN) ? false : `${PROMETHEUS_BIN} not installed`;
let prom: Receiver | undefined;

before(async () => {
  if (skip === false) prom = await startPrometheus();
});
after(async () => {
  await prom?.stop();
});

function receiver(): Receiver {
  assert.ok(prom, 'prometheus not started');
  return prom;
}

/** Cycle timestamps a little in the past, 10 s apart, so every query time is after them. */
const BASE_MS = Math.floor(Date.now() / 1000) * 1000 - 120_000;
const at = (cycle: number): number => BASE_MS + cycle * 10_000;

function payload(cycle: number, node: string, groups: Readonly<Record<string, number>>): PushPayload {
  return {
    timestampMs: at(cycle),
    extraLabels: [
      { name: 'node', value: node },
      { name: 'ip', value: '10.1.2.3' },
      { name: 'instance', value: node },
    ],
    families: [
      {
        name: 'namedprocess_namegroup_num_procs',
        help: 'number of processes in this group',
        type: 'gauge',
        samples: Object.entries(groups).map(([groupname, value]) => ({ labels: [{ name: 'groupname', value: groupname }], value })),
      },
      {
        name: 'namedprocess_namegroup_cpu_seconds_total',
        help: 'CPU seconds',
        type: 'counter',
        samples: Object.entries(groups).map(([groupname, value]) => ({
          labels: [
            { name: 'groupname', value: groupname },
            { name: 'mode', value: 'user' },
          ],
          value: value * 1.5,
        })),
      },
    ],
  };
}

function newSink(): Sink {
  const s = createSink(
    sinkConfig({ type: 'remote_write', url: `${receiver().url}/api/v1/write`, timeout: '5s', send_metadata: true }),
    createTestSinkDeps(),
  );
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

void test('prometheus stores the pushed values with node, ip, instance and data labels', { skip }, async () => {
  const s = newSink();
  assert.equal((await s.send(payload(1, 'values-node', { nginx: 4, 'Προμηθεύς /x': 2 }))).outcome, 'ok');
  assert.equal((await s.send(payload(2, 'values-node', { nginx: 5, 'Προμηθεύς /x': 3 }))).outcome, 'ok');
  const procs = await instantQuery(receiver(), 'namedprocess_namegroup_num_procs{node="values-node"}', at(2));
  assert.deepEqual(
    procs.map((p) => [p.labels, p.value]),
    [
      [{ __name__: 'namedprocess_namegroup_num_procs', groupname: 'nginx', instance: 'values-node', ip: '10.1.2.3', node: 'values-node' }, '5'],
      [{ __name__: 'namedprocess_namegroup_num_procs', groupname: 'Προμηθεύς /x', instance: 'values-node', ip: '10.1.2.3', node: 'values-node' }, '3'],
    ].sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0]))),
  );
  const cpu = await instantQuery(receiver(), 'namedprocess_namegroup_cpu_seconds_total{node="values-node",groupname="nginx"}', at(2));
  const first = cpu[0];
  assert.ok(first);
  assert.equal(first.value, '7.5');
  assert.equal(first.labels['mode'], 'user');
  const earlier = await instantQuery(receiver(), 'namedprocess_namegroup_num_procs{node="values-node",groupname="nginx"}', at(1));
  assert.equal(earlier[0]?.value, '4');
  await s.close({ staleMarkers: false });
});

void test('prometheus returns no value after the stale marker of a vanished series and after shutdown', { skip }, async () => {
  const s = newSink();
  await s.send(payload(1, 'stale-node', { a: 1, b: 2 }));
  await s.send(payload(2, 'stale-node', { a: 3, b: 4 }));
  const r3 = await s.send(payload(3, 'stale-node', { a: 5 })); // b vanished: stale marker at cycle 3
  assert.equal(r3.outcome, 'ok');
  const q = (time: number) => instantQuery(receiver(), 'namedprocess_namegroup_num_procs{node="stale-node"}', time);
  assert.deepEqual(
    (await q(at(2))).map((p) => `${p.labels['groupname'] ?? ''}=${p.value}`),
    ['a=3', 'b=4'],
  );
  // Without the marker, b would stay visible for 5 minutes (the lookback delta).
  assert.deepEqual(
    (await q(at(3))).map((p) => `${p.labels['groupname'] ?? ''}=${p.value}`),
    ['a=5'],
  );
  const closed = await s.close({ timestampMs: at(4) });
  assert.equal(closed.outcome, 'ok');
  assert.deepEqual(await q(at(4) + 1000), []);
  // The counter family went stale too.
  assert.deepEqual(await instantQuery(receiver(), 'namedprocess_namegroup_cpu_seconds_total{node="stale-node"}', at(4) + 1000), []);
});

void test('prometheus rejects a re-sent old sample with 400, which the sink drops without retrying', { skip }, async () => {
  const s = newSink();
  await s.send(payload(5, 'ooo-node', { a: 1 }));
  const old = await s.send(payload(4, 'ooo-node', { a: 2 }));
  assert.equal(old.outcome, 'dropped');
  assert.equal(old.status, 400);
  assert.equal(old.attempts, 1);
  await s.close({ staleMarkers: false });
});
