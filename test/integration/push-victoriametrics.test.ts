/**
 * Remote write against the real Debian VictoriaMetrics (single node, `/api/v1/write`) on 127.0.0.1.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createSink } from '../../src/push/create-sink.js';
import { sinkConfig } from '../helpers/sink-config.js';
import type { PushPayload, Sink } from '../../src/push/types.js';
import { createTestSinkDeps } from '../helpers/mock-receiver.js';
import { binaryAvailable, instantQuery, startVictoriaMetrics, VICTORIA_METRICS_BIN, type Receiver } from '../helpers/receivers.js';

const skip = binaryAvailable(VICTORIA_METRICS_BIN) ? false : `${VICTORIA_METRICS_BIN} not installed`;
let vm: Receiver | undefined;

before(async () => {
  if (skip === false) vm = await startVictoriaMetrics();
});
after(async () => {
  await vm?.stop();
});

function receiver(): Receiver {
  assert.ok(vm, 'victoria-metrics not started');
  return vm;
}

const BASE_MS = Math.floor(Date.now() / 1000) * 1000 - 120_000;
const at = (cycle: number): number => BASE_MS + cycle * 10_000;

function payload(cycle: number, groups: Readonly<Record<string, number>>): PushPayload {
  return {
    timestampMs: at(cycle),
    extraLabels: [
      { name: 'node', value: 'vm-node' },
      { name: 'ip', value: '10.9.8.7' },
      { name: 'instance', value: 'vm-node' },
      { name: 'team', value: 'infra' },
    ],
    families: [
      {
        name: 'namedprocess_namegroup_memory_bytes',
        help: 'memory',
        type: 'gauge',
        samples: Object.entries(groups).map(([groupname, value]) => ({
          labels: [
            { name: 'groupname', value: groupname },
            { name: 'memtype', value: 'resident' },
          ],
          value,
        })),
      },
    ],
  };
}

function newSink(): Sink {
  const s = createSink(sinkConfig({ type: 'remote_write', url: `${receiver().url}/api/v1/write`, timeout: '5s' }), createTestSinkDeps());
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

async function flush(): Promise<void> {
  const r = await receiver().get('/internal/force_flush');
  assert.equal(r.status, 200, `force_flush: ${r.body}`);
}

void test('victoria-metrics stores the pushed values with their labels', { skip }, async () => {
  const s = newSink();
  assert.equal((await s.send(payload(1, { nginx: 1_048_576, postgres: 2.5e9 }))).outcome, 'ok');
  assert.equal((await s.send(payload(2, { nginx: 2_097_152, postgres: 2.5e9 }))).outcome, 'ok');
  await flush();
  const got = await instantQuery(receiver(), 'namedprocess_namegroup_memory_bytes{node="vm-node"}', at(2));
  assert.deepEqual(
    got.map((g) => [g.labels['groupname'], g.value]),
    [
      ['nginx', '2097152'],
      ['postgres', '2500000000'],
    ],
  );
  assert.deepEqual(got[0]?.labels, {
    __name__: 'namedprocess_namegroup_memory_bytes',
    groupname: 'nginx',
    instance: 'vm-node',
    ip: '10.9.8.7',
    memtype: 'resident',
    node: 'vm-node',
    team: 'infra',
  });
  await s.close({ staleMarkers: false });
});

void test('victoria-metrics hides a series at its stale marker', { skip }, async () => {
  const s = newSink();
  await s.send(payload(3, { a: 1, b: 2 }));
  const r = await s.send(payload(4, { a: 3 }));
  assert.equal(r.outcome, 'ok');
  assert.equal(r.samples, 2);
  // Control: c stops at cycle 3 too, but its sink never sends a marker for it.
  const control = newSink();
  await control.send(payload(3, { c: 7 }));
  await control.close({ staleMarkers: false });
  await flush();
  const got = await instantQuery(receiver(), 'namedprocess_namegroup_memory_bytes{node="vm-node",groupname=~"a|b|c"}', at(4));
  assert.deepEqual(
    got.map((g) => `${g.labels['groupname'] ?? ''}=${g.value}`),
    ['a=3', 'c=7'],
  );
  await s.close({ staleMarkers: false });
});
