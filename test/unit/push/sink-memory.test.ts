/**
 * What a sink pushed last survives a restart (the state file keeps `memory()`): a remote-write sink
 * given the previous run's memory sends, at its first cycle, stale markers for exactly the series
 * that no longer exist, the same markers an uninterrupted sink sends; a Pushgateway sink deletes the
 * group the previous run pushed to, or the node's group as the config gives it (retire).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createSink } from '../../../src/push/create-sink.js';
import type { HttpRequest, HttpResult } from '../../../src/push/http/http-types.js';
import { sinkConfig } from '../../helpers/sink-config.js';
import type { PushPayload, Sink } from '../../../src/push/types.js';
import { decodeRemoteWriteBody, createTestSinkDeps, labelsOf } from '../../helpers/mock-receiver.js';

const T0 = 1_700_000_000_000;
const EXTRA = [
  { name: 'instance', value: 'n1' },
  { name: 'node', value: 'n1' },
];
const OK: HttpResult = { kind: 'response', status: 204, headers: new Map(), body: '', bodyTruncated: false };

function payload(cycle: number, groups: readonly string[]): PushPayload {
  return {
    timestampMs: T0 + cycle * 1000,
    extraLabels: EXTRA,
    families: [{ name: 'namedprocess_namegroup_num_procs', help: 'h', type: 'gauge', samples: groups.map((g) => ({ labels: [{ name: 'groupname', value: g }], value: 1 })) }],
  };
}

function sinkWith(type: 'remote_write' | 'pushgateway', requests: HttpRequest[], extra: Record<string, unknown> = {}): Sink {
  const deps = { ...createTestSinkDeps(), createTransport: () => ({ request: (req: HttpRequest) => (requests.push(req), Promise.resolve(OK)), close: () => undefined }) };
  const url = type === 'remote_write' ? 'http://127.0.0.1:1/api/v1/write' : 'http://127.0.0.1:1';
  const s = createSink(sinkConfig({ type, url, name: 'x', ...extra }), deps);
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

/** Every series of the requests as `group=value-hex@ts` plus the raw bytes of its stale samples. */
function sent(requests: readonly HttpRequest[]): string[] {
  return requests.flatMap((r) => {
    const d = decodeRemoteWriteBody(r.body ?? new Uint8Array());
    if (!d.ok) throw new Error(d.error);
    return d.value.timeseries.map((ts) => `${JSON.stringify(labelsOf(ts))}=${ts.samples.map((s) => `${s.valueHex}@${String(s.timestampMs)}`).join()}`);
  });
}

describe('sink memory across a restart', () => {
  it('remote write: the next start sends the same stale markers, only for the series gone meanwhile', async () => {
    // Uninterrupted: cycle 1 has a, b, c; cycle 2 has a only.
    const reqA: HttpRequest[] = [];
    const a = sinkWith('remote_write', reqA);
    await a.send(payload(1, ['a', 'b', 'c']));
    const memory = a.memory?.();
    assert.ok(memory?.kind === 'remote_write');
    assert.equal(memory.series.length, 3);
    await a.send(payload(2, ['a']));
    // Restarted: a new sink with the memory of cycle 1.
    const reqB: HttpRequest[] = [];
    const b = sinkWith('remote_write', reqB);
    b.restoreMemory?.(memory);
    await b.send(payload(2, ['a']));
    assert.deepEqual(sent(reqB), sent(reqA.slice(1)));
    assert.equal(sent(reqB).filter((s) => s.includes('020000000000f07f')).length, 2, 'markers for b and c');
    // What it pushed last is now cycle 2's series.
    assert.deepEqual(b.memory?.(), a.memory?.());
    await Promise.all([a.close({ staleMarkers: false }), b.close({ staleMarkers: false })]);
  });

  it('Pushgateway: a shutdown DELETE (or retire) removes the group the previous run pushed to, or the config\'s group', async () => {
    const first: HttpRequest[] = [];
    const a = sinkWith('pushgateway', first);
    await a.send(payload(1, ['a']));
    const memory = a.memory?.();
    assert.ok(memory?.kind === 'pushgateway' && memory.groupUrl.includes('/metrics/job@base64/'));
    await a.close({ deleteGroup: false });

    const restarted: HttpRequest[] = [];
    const b = sinkWith('pushgateway', restarted);
    b.restoreMemory?.(memory);
    await b.close({ deleteGroup: true });
    assert.deepEqual(restarted.map((r) => `${r.method} ${r.url.href}`), [`DELETE ${memory.groupUrl}`]);

    // No state: the node's group from the config and the static labels (retire).
    const bare: HttpRequest[] = [];
    const c = sinkWith('pushgateway', bare, { job: 'procpush' });
    await c.close({ deleteGroup: true, extraLabels: EXTRA });
    assert.deepEqual(bare.map((r) => `${r.method} ${r.url.href}`), [`DELETE ${memory.groupUrl}`]);
  });
});
