/**
 * A crash between two checkpoints, in process and without sleeping: a collector runs, is checkpointed
 * (state file), runs on with its journal (state journal), and "dies"; a new collector restores the
 * checkpoint and replays the journal. Its counters never go below what the dead one reported, and
 * they equal an uninterrupted collector's but for what processes that left after the last cycle did
 * since the checkpoint.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Collector, type CycleReport } from '../../../src/collector/collector.js';
import { decodeState, encodeState } from '../../../src/collector/state-format.js';
import { journalHeader, JournalWriter, replayJournal } from '../../../src/collector/state-journal.js';
import type { Counts } from '../../../src/procfs/types.js';
import { MemorySource } from '../../helpers/memory-source.js';
import { namerFor } from '../../helpers/namers.js';

const BOOT = 1_700_000_000;
const T0 = (BOOT + 1000) * 1000;

function collector(src: MemorySource): Collector {
  return new Collector(src, { namer: namerFor({ work: 'work', db: 'db' }), children: true, recheck: false, recheckTimeLimitMs: 0, removeEmptyGroups: false, lookupUsername: String, threads: true, gatherSmaps: false });
}

function host(): MemorySource {
  return new MemorySource(BOOT).add(
    { pid: 10, comm: 'work', starttime: 100, utime: 1000, voluntary: 10 },
    { pid: 11, comm: 'work', starttime: 100, utime: 1000, voluntary: 10 },
    { pid: 12, comm: 'work', starttime: 100, utime: 1000, voluntary: 10 },
    { pid: 20, comm: 'db', starttime: 100, threads: [{ tid: 20, name: 'db', utime: 5 }, { tid: 21, name: 'io', utime: 7 }] },
  );
}

function cpu(r: CycleReport, group: string): Counts {
  const g = r.groups?.get(group);
  assert.ok(g !== undefined, group);
  return g.counts;
}

/** The steps after the checkpoint; `tail` removes 12 after the last cycle (nobody sees it go). */
function steps(src: MemorySource, at: number, tail: boolean): void {
  if (at === 1) {
    src.update(10, { utime: 1100, voluntary: 20 });
    src.update(11, { utime: 1200, voluntary: 30 });
    src.update(12, { utime: 1300 });
    src.add({ pid: 30, comm: 'work', starttime: 200_000, utime: 40 }); // started after the first cycle: counted whole
  }
  if (at === 2) {
    src.remove(11);
    src.remove(30);
    src.update(20, { threads: [{ tid: 20, name: 'db', utime: 9 }, { tid: 21, name: 'io', utime: 50 }] });
  }
  if (at === 3) src.update(12, { utime: 1350 });
  if (at === 4 && tail) src.remove(12);
}

describe('crash between two checkpoints', () => {
  for (const tail of [false, true]) {
    it(`restored counters never go below what was reported${tail ? ', with a process gone after the last cycle' : ', and match an uninterrupted run'}`, () => {
      // The uninterrupted reference.
      const refSrc = host();
      const ref = collector(refSrc);
      ref.prime(T0);
      ref.cycle(T0 + 1000);

      // The run that dies: checkpointed after its first reported cycle.
      const src = host();
      const dying = collector(src);
      dying.prime(T0);
      dying.cycle(T0 + 1000);
      const checkpoint = encodeState({ savedAtMs: T0, checkpointId: 5, fingerprint: 'f', bootId: '', bootTimeSeconds: BOOT, collector: dying.snapshot(), sinks: [] });
      const writer = new JournalWriter();
      const snap = dying.snapshot();
      writer.restart(new Map(snap.grouper.groups.map((g) => [g.name, g])), snap.counters);
      const journal: Uint8Array[] = [journalHeader(5)];
      let last: CycleReport | undefined;
      for (let at = 1; at <= 3; at++) {
        steps(src, at, tail);
        steps(refSrc, at, tail);
        ref.cycle(T0 + 1000 + at * 1000);
        last = dying.cycle(T0 + 1000 + at * 1000);
        const vanished = last.vanished.map((p) => ({ pid: p.pid, starttime: p.starttime, group: p.group, startTimeMs: p.static.startTimeMs, counts: { ...p.metrics.counts } }));
        journal.push(Uint8Array.from(writer.record(T0 + at * 1000, last.groups ?? new Map(), dying.counters, vanished)));
      }
      assert.ok(last !== undefined);
      // The crash. What happens until the restart:
      steps(src, 4, tail);
      steps(refSrc, 4, tail);
      src.update(10, { utime: 1500, voluntary: 25 });
      refSrc.update(10, { utime: 1500, voluntary: 25 });

      const doc = decodeState(checkpoint);
      assert.ok(doc.ok);
      const replay = replayJournal(Uint8Array.from(journal.flatMap((j) => [...j])), 5);
      assert.ok(replay.ok && replay.value.kind === 'ok');
      const restored = collector(src);
      restored.restore(doc.value.collector, replay.value.floors, T0 + 5000);
      const after = restored.cycle(T0 + 5000);
      const reference = ref.cycle(T0 + 5000);

      for (const group of ['work', 'db']) {
        const before = cpu(last, group);
        const now = cpu(after, group);
        for (const f of ['cpuUser', 'cpuSystem', 'ctxSwitchVoluntary', 'minorPageFaults'] as const) assert.ok(now[f] >= before[f], `${group}.${f}: ${now[f]} < ${before[f]}`);
      }
      const lost = tail ? 3.5 : 0; // 12: +3 s and +0.5 s after the checkpoint, gone after the last cycle
      const expected = cpu(reference, 'work').cpuUser - lost;
      // With the tail loss the floor (last reported, 10.85 s) is above what the restore can count.
      assert.ok(Math.abs(cpu(after, 'work').cpuUser - Math.max(expected, cpu(last, 'work').cpuUser)) < 1e-9, `${cpu(after, 'work').cpuUser} vs ${expected}`);
      if (!tail) {
        assert.deepEqual(cpu(after, 'work'), cpu(reference, 'work'));
        assert.deepEqual(after.groups?.get('db')?.threads, reference.groups?.get('db')?.threads);
      }
    });
  }

  it('a journal that belongs to no checkpoint (or none at all) restores the checkpoint alone', () => {
    const src = host();
    const c = collector(src);
    c.prime(T0);
    c.cycle(T0 + 1000);
    const snap = c.snapshot();
    const r = replayJournal(journalHeader(1), 2);
    assert.ok(r.ok && r.value.kind === 'other-checkpoint');
    const restored = collector(src);
    restored.restore(snap);
    assert.deepEqual(cpu(restored.cycle(T0 + 2000), 'work'), cpu(c.cycle(T0 + 2000), 'work'));
  });
});
