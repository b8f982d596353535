/**
 * How a loaded state is used (src/daemon/state-session.ts): continued under the same rules, refused
 * (counters fresh, sinks' memory kept) under others, processes of another boot dropped; and the
 * signals `procpush run` catches from its start.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StateDocument } from '../../../src/collector/state-format.js';
import { SignalInbox, type DaemonSignal } from '../../../src/daemon/signals.js';
import { fingerprintHash, planRestore } from '../../../src/daemon/state-session.js';

const zero = { cpuUser: 0, cpuSystem: 0, readBytes: 0, writeBytes: 0, majorPageFaults: 0, minorPageFaults: 0, ctxSwitchVoluntary: 0, ctxSwitchNonvoluntary: 0 };

function doc(fingerprint: string, bootId: string): StateDocument {
  return {
    savedAtMs: 1,
    checkpointId: 1,
    fingerprint: fingerprintHash(fingerprint),
    bootId,
    bootTimeSeconds: 100,
    collector: {
      counters: { scrapeErrors: 0, procReadErrors: 0, partialErrors: 0 },
      grouper: {
        groups: [{ name: 'app', counts: { ...zero, cpuUser: 5 }, lastNonEmptyMs: 1, threads: [] }],
        tracker: { firstUpdateAtMs: 7, tracked: [{ pid: 1, starttime: 1, group: 'app', startTimeMs: 100_010, counts: zero, threads: null }], ignored: [[2, 2]], resumeAfterPid: 1 },
      },
    },
    sinks: [],
  };
}

describe('restore plan', () => {
  it('continues a state of the same rules and boot as it is', () => {
    const d = doc('rules', 'boot-a');
    assert.deepEqual(planRestore(d, 'rules', 'boot-a'), { kind: 'continue', doc: d, otherBoot: false });
    assert.deepEqual(planRestore(d, 'rules', ''), { kind: 'continue', doc: d, otherBoot: false }, 'an unknown boot id is no evidence of a reboot');
  });

  it('refuses a state of other rules', () => {
    assert.equal(planRestore(doc('rules', 'b'), 'other rules', 'b').kind, 'other-rules');
  });

  it('after a reboot: groups and counters continue, every process is new (a pid with the same start time is another process)', () => {
    const p = planRestore(doc('rules', 'boot-a'), 'rules', 'boot-b');
    assert.ok(p.kind === 'continue' && p.otherBoot);
    assert.deepEqual(p.doc.collector.grouper.tracker, { firstUpdateAtMs: 7, tracked: [], ignored: [] });
    assert.equal(p.doc.collector.grouper.groups[0]?.counts.cpuUser, 5);
  });
});

describe('signal inbox', () => {
  it('keeps the signals that come before the daemon listens, delivers them in order, then every new one', () => {
    const inbox = new SignalInbox();
    try {
      process.emit('SIGHUP', 'SIGHUP');
      process.emit('SIGTERM', 'SIGTERM');
      const got: DaemonSignal[] = [];
      inbox.listen((s) => got.push(s));
      assert.deepEqual(got, ['SIGHUP', 'SIGTERM']);
      process.emit('SIGINT', 'SIGINT');
      assert.deepEqual(got, ['SIGHUP', 'SIGTERM', 'SIGINT']);
    } finally {
      inbox.close();
    }
    assert.equal(process.listenerCount('SIGHUP'), 0);
  });
});

describe('listener before the first cycle', () => {
  it('answers 503 on /metrics and /healthz until the first cycle is done, never an empty 200', async () => {
    const { createServer } = await import('node:http');
    const { listenerHandler } = await import('../../../src/daemon/run.js');
    const agent: { lastCycleTimestampMs: number | undefined; exposition: () => string } = { lastCycleTimestampMs: undefined, exposition: () => 'm 1\n' };
    const server = createServer(listenerHandler(agent, 60_000, () => 1_000));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    const get = async (path: string): Promise<[number, string]> => {
      const r = await fetch(`http://127.0.0.1:${String(address.port)}${path}`);
      return [r.status, await r.text()];
    };
    try {
      assert.deepEqual(await get('/metrics'), [503, 'starting: the first cycle is not done yet\n']);
      assert.equal((await get('/healthz'))[0], 503);
      agent.lastCycleTimestampMs = 900;
      assert.deepEqual(await get('/metrics'), [200, 'm 1\n']);
      assert.deepEqual(await get('/healthz'), [200, 'ok\n']);
    } finally {
      server.close();
    }
  });
});
