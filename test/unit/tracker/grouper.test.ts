import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Grouper } from '../../../src/tracker/grouper.js';
import type { GroupStats, GrouperOptions } from '../../../src/tracker/grouper.js';
import type { ProcAttributes } from '../../../src/base/process.js';
import { MemorySource } from '../../helpers/memory-source.js';

const BOOT = 1_700_000_000;
/** The agent starts 1000 s after boot; ticks are 10 ms. */
const T0 = (BOOT + 1000) * 1000;
const AFTER_START_TICKS = 2000 * 100;

/** Tracks processes whose comm is a key of `groups`, under that group name. */
function namerFor(groups: Record<string, string>): GrouperOptions['namer'] {
  return {
    matchAndName(a: ProcAttributes) {
      const name = groups[a.comm];
      return name === undefined ? { matched: false } : { matched: true, name };
    },
  };
}

function grouper(groups: Record<string, string>, extra: Partial<GrouperOptions> = {}): Grouper {
  return new Grouper({
    namer: namerFor(groups),
    children: true,
    recheck: false,
    recheckTimeLimitMs: 0,
    removeEmptyGroups: false,
    lookupUsername: (uid) => String(uid),
    ...extra,
  });
}

function run(g: Grouper, src: MemorySource, atMs: number): ReadonlyMap<string, GroupStats> {
  const r = g.update(src, atMs);
  assert.ok(r.ok);
  return r.groups;
}

function group(groups: ReadonlyMap<string, GroupStats>, name: string): GroupStats {
  const s = groups.get(name);
  assert.ok(s, `group ${name} present`);
  return s;
}

describe('Grouper counters', () => {
  it('counts only what a process already running at startup does after the startup cycle', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'app', starttime: 100, utime: 500, readBytes: 1000 });
    const g = grouper({ app: 'app' });
    assert.equal(group(run(g, src, T0), 'app').counts.cpuUser, 0);
    src.update(10, { utime: 550, readBytes: 1500 });
    const s = group(run(g, src, T0 + 15_000), 'app');
    assert.equal(s.counts.cpuUser, 0.5);
    assert.equal(s.counts.readBytes, 500);
  });

  it('counts the whole lifetime of a process that started after the agent', () => {
    const src = new MemorySource(BOOT);
    const g = grouper({ job: 'job' });
    run(g, src, T0);
    src.add({ pid: 20, comm: 'job', starttime: AFTER_START_TICKS, utime: 100, stime: 30 });
    const s = group(run(g, src, T0 + 15_000), 'job');
    assert.equal(s.counts.cpuUser, 1);
    assert.equal(s.counts.cpuSystem, 0.3);
  });

  it('keeps a group and its counters after its last process exits, with zero gauges', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'app', starttime: 100, utime: 0, rssBytes: 4096 });
    const g = grouper({ app: 'app' });
    run(g, src, T0);
    src.update(10, { utime: 200 });
    run(g, src, T0 + 1);
    src.remove(10);
    const s = group(run(g, src, T0 + 2), 'app');
    assert.equal(s.procs, 0);
    assert.equal(s.counts.cpuUser, 2);
    assert.equal(s.memory.residentBytes, 0);
    assert.equal(s.oldestStartMs, undefined);
  });

  it('forgets an empty group with removeEmptyGroups and restarts its counters when it comes back', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'app', starttime: 100 });
    const g = grouper({ app: 'app' }, { removeEmptyGroups: true });
    run(g, src, T0);
    src.update(10, { utime: 200 });
    run(g, src, T0 + 1);
    src.remove(10);
    assert.equal(run(g, src, T0 + 2).has('app'), false);
    src.add({ pid: 11, comm: 'app', starttime: AFTER_START_TICKS, utime: 10 });
    assert.equal(group(run(g, src, T0 + 3), 'app').counts.cpuUser, 0.1);
  });

  it('never decreases a group counter when a process exits', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'app', starttime: 100 }, { pid: 11, comm: 'app', starttime: 100 });
    const g = grouper({ app: 'app' });
    run(g, src, T0);
    src.update(10, { utime: 100 });
    src.update(11, { utime: 100 });
    assert.equal(group(run(g, src, T0 + 1), 'app').counts.cpuUser, 2);
    src.remove(11);
    assert.equal(group(run(g, src, T0 + 2), 'app').counts.cpuUser, 2);
  });

  it('treats a reused pid with a new start time as a new process', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'app', starttime: 100, utime: 50 });
    const g = grouper({ app: 'app', other: 'other' });
    run(g, src, T0);
    src.remove(10);
    src.add({ pid: 10, comm: 'other', starttime: AFTER_START_TICKS, utime: 70 });
    const groups = run(g, src, T0 + 1);
    assert.equal(group(groups, 'other').counts.cpuUser, 0.7);
    assert.equal(group(groups, 'app').procs, 0);
  });
});

describe('Grouper naming', () => {
  it('puts an unmatched child in its tracked parent\'s group, and leaves it out with children off', () => {
    for (const children of [true, false]) {
      const src = new MemorySource(BOOT).add({ pid: 10, comm: 'bash', starttime: 100 }, { pid: 11, comm: 'tail', ppid: 10, starttime: 100 });
      const g = grouper({ bash: 'shell' }, { children });
      assert.equal(group(run(g, src, T0), 'shell').procs, children ? 2 : 1);
    }
  });

  it('tracks a whole new lineage under the first tracked ancestor', () => {
    const src = new MemorySource(BOOT)
      .add({ pid: 10, comm: 'bash', starttime: 100 })
      .add({ pid: 30, comm: 'c', ppid: 20, starttime: 100 })
      .add({ pid: 20, comm: 'b', ppid: 10, starttime: 100 });
    assert.equal(group(run(grouper({ bash: 'shell' }), src, T0), 'shell').procs, 3);
  });

  it('never re-reads an ignored process, but does re-read it with recheck', () => {
    for (const recheck of [false, true]) {
      const src = new MemorySource(BOOT).add({ pid: 10, comm: 'idle', starttime: 100, ppid: 0 });
      const g = grouper({ app: 'app' }, { recheck });
      run(g, src, T0);
      run(g, src, T0 + 1);
      run(g, src, T0 + 2);
      assert.equal(src.calls.readMetrics, recheck ? 3 : 1);
      assert.equal(src.calls.readStat, 3);
      src.update(10, { comm: 'app' });
      const groups = run(g, src, T0 + 3);
      assert.equal(groups.has('app'), recheck);
    }
  });

  it('with a recheck time limit, stops re-offering a process once it is older than the limit', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'idle', starttime: 100_000, ppid: 0 }); // started at BOOT+1000s = T0
    const g = grouper({ app: 'app' }, { recheck: true, recheckTimeLimitMs: 10_000 });
    run(g, src, T0 + 5_000);
    run(g, src, T0 + 20_000);
    run(g, src, T0 + 30_000);
    assert.equal(src.calls.readMetrics, 2);
  });

  it('does not count a read failure of a vanished process, and counts one of an unreadable process', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'app', starttime: 100, unreadable: true }, { pid: 11, comm: 'app', starttime: 100, partial: true });
    const r = grouper({ app: 'app' }).update(src, T0);
    assert.ok(r.ok);
    assert.deepEqual(r.errors, { read: 1, partial: 1 });
  });

  it('reports a failed listing as an error without groups', () => {
    const src = new MemorySource(BOOT);
    src.listFails = true;
    const r = grouper({}).update(src, T0);
    assert.equal(r.ok, false);
  });
});

describe('Grouper threads and intentional fixes', () => {
  const threaded = () =>
    new MemorySource(BOOT).add({
      pid: 10,
      comm: 'srv',
      starttime: 100,
      voluntary: 5,
      threads: [
        { tid: 10, name: 'srv', voluntary: 5, state: 'S', wchan: 'ep_poll' },
        { tid: 11, name: 'wrk', voluntary: 100, state: 'R' },
        { tid: 12, name: 'wrk', voluntary: 50, state: 'S', wchan: 'futex_wait' },
      ],
    });

  it('counts each thread\'s state and wchan once (no main-thread double count, #338)', () => {
    const s = group(run(grouper({ srv: 'srv' }), threaded(), T0), 'srv');
    assert.deepEqual(s.states, { running: 1, sleeping: 2, waiting: 0, zombie: 0, other: 0 });
    assert.deepEqual([...s.wchans].sort(), [['ep_poll', 1], ['futex_wait', 1]]);
  });

  it('never decreases context switches when a busy thread exits (#193, #287)', () => {
    const src = threaded();
    const g = grouper({ srv: 'srv' });
    run(g, src, T0);
    src.update(10, {
      threads: [
        { tid: 10, name: 'srv', voluntary: 7 },
        { tid: 12, name: 'wrk', voluntary: 60 },
      ],
    });
    const s = group(run(g, src, T0 + 1), 'srv');
    assert.equal(s.counts.ctxSwitchVoluntary, 12);
  });

  it('aggregates thread counters by name; a new thread starts at 0 and a vanished name loses its history', () => {
    const src = threaded();
    const g = grouper({ srv: 'srv' });
    run(g, src, T0);
    src.update(10, {
      threads: [
        { tid: 10, name: 'srv', utime: 10 },
        { tid: 11, name: 'wrk', utime: 20, voluntary: 110 },
        { tid: 12, name: 'wrk', utime: 30, voluntary: 50 },
        { tid: 13, name: 'late', utime: 999 },
      ],
    });
    const s = group(run(g, src, T0 + 1), 'srv');
    const byName = new Map(s.threads.map((t) => [t.name, t]));
    assert.equal(byName.get('wrk')?.numThreads, 2);
    assert.equal(byName.get('wrk')?.counts.cpuUser, 0.5);
    assert.equal(byName.get('wrk')?.counts.ctxSwitchVoluntary, 10);
    assert.equal(byName.get('late')?.counts.cpuUser, 0);
    src.update(10, { threads: [{ tid: 10, name: 'srv', utime: 10 }, { tid: 13, name: 'late', utime: 1000 }] });
    const s2 = group(run(g, src, T0 + 2), 'srv');
    assert.deepEqual(s2.threads.map((t) => t.name).sort(), ['late', 'srv']);
    src.update(10, { threads: [{ tid: 10, name: 'srv' }, { tid: 13, name: 'late', utime: 1000 }, { tid: 14, name: 'wrk', utime: 5 }] });
    const s3 = group(run(g, src, T0 + 3), 'srv');
    assert.equal(s3.threads.find((t) => t.name === 'wrk')?.counts.cpuUser, 0);
  });
});

describe('Grouper: processes that gain and lose threads', () => {
  it('keeps the main task\'s context-switch history across single- and multi-threaded cycles', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'srv', starttime: 100, voluntary: 5, nonvoluntary: 1 });
    const g = grouper({ srv: 'srv' });
    run(g, src, T0);
    // Gains a thread: the main task moved 5 → 8, the new thread counts its whole 3.
    src.update(10, { threads: [{ tid: 10, name: 'srv', voluntary: 8, nonvoluntary: 2 }, { tid: 11, name: 'wrk', voluntary: 3 }] });
    assert.equal(group(run(g, src, T0 + 1), 'srv').counts.ctxSwitchVoluntary, 6);
    // Loses it again: only the main task's increase 8 → 10 counts; the sum never goes down.
    src.update(10, { threads: undefined, voluntary: 10, nonvoluntary: 2 });
    const s = group(run(g, src, T0 + 2), 'srv');
    assert.equal(s.counts.ctxSwitchVoluntary, 8);
    assert.equal(s.counts.ctxSwitchNonvoluntary, 1);
    // A thread with tid 11 again, but a new one (other start time): its whole count, once.
    src.update(10, { threads: [{ tid: 10, name: 'srv', voluntary: 10, nonvoluntary: 2 }, { tid: 11, starttime: 500, name: 'wrk', voluntary: 4 }] });
    assert.equal(group(run(g, src, T0 + 3), 'srv').counts.ctxSwitchVoluntary, 12);
  });

  it('forgets the main task\'s history when a cycle lists the threads without it', () => {
    const src = new MemorySource(BOOT).add({
      pid: 10,
      comm: 'srv',
      starttime: 100,
      threads: [{ tid: 10, name: 'srv', voluntary: 5 }, { tid: 11, name: 'wrk', voluntary: 1 }],
    });
    const g = grouper({ srv: 'srv' });
    run(g, src, T0);
    src.update(10, { threads: [{ tid: 11, name: 'wrk', voluntary: 2 }, { tid: 12, name: 'wrk', voluntary: 0 }] });
    assert.equal(group(run(g, src, T0 + 1), 'srv').counts.ctxSwitchVoluntary, 1);
    // The main task is listed again: as any task seen anew, its whole count is an increase.
    src.update(10, { threads: [{ tid: 10, name: 'srv', voluntary: 6 }, { tid: 11, name: 'wrk', voluntary: 2 }] });
    assert.equal(group(run(g, src, T0 + 2), 'srv').counts.ctxSwitchVoluntary, 7);
  });

  it('reports the wchan of single-threaded processes, each once, and never an empty one', () => {
    const src = new MemorySource(BOOT).add(
      { pid: 10, comm: 'app', starttime: 100, wchan: 'do_wait' },
      { pid: 11, comm: 'app', starttime: 100, wchan: 'do_wait' },
      { pid: 12, comm: 'app', starttime: 100, wchan: '' },
      { pid: 13, comm: 'app', starttime: 100, threads: [{ tid: 13, name: 'app', wchan: 'ep_poll' }, { tid: 14, name: 'app', wchan: 'do_wait' }] },
    );
    const g = grouper({ app: 'app' });
    assert.deepEqual([...group(run(g, src, T0), 'app').wchans].sort(), [['do_wait', 3], ['ep_poll', 1]]);
    // Process 13 becomes single-threaded: its thread wchans are gone, its own counts.
    src.update(13, { threads: undefined, wchan: 'pipe_read' });
    assert.deepEqual([...group(run(g, src, T0 + 1), 'app').wchans].sort(), [['do_wait', 2], ['pipe_read', 1]]);
  });
});

/**
 * Two groupers over two copies of the same fake host after the startup cycle: `a` keeps running, `c`
 * continues from a JSON round trip of the snapshot of another grouper that ran that cycle over `srcB`.
 */
function uninterruptedAndRestored(mk: () => MemorySource): { a: Grouper; srcA: MemorySource; c: Grouper; srcB: MemorySource } {
  const a = grouper({ app: 'app' });
  const srcA = mk();
  run(a, srcA, T0);
  const b = grouper({ app: 'app' });
  const srcB = mk();
  run(b, srcB, T0);
  const c = grouper({ app: 'app' });
  c.restore(JSON.parse(JSON.stringify(b.snapshot())) as ReturnType<Grouper['snapshot']>);
  return { a, srcA, c, srcB };
}

describe('Grouper snapshot', () => {
  it('continues counters after restore exactly as an uninterrupted grouper', () => {
    const mk = () => new MemorySource(BOOT).add({ pid: 10, comm: 'app', starttime: 100, utime: 0 }, { pid: 11, comm: 'kid', ppid: 10, starttime: 100 });
    const steps = [{ utime: 100 }, { utime: 250 }];
    const { a, srcA, c, srcB } = uninterruptedAndRestored(mk);
    for (const [i, step] of steps.entries()) {
      srcA.update(10, step);
      srcB.update(10, step);
      const ga = group(run(a, srcA, T0 + i + 1), 'app');
      const gc = group(run(c, srcB, T0 + i + 1), 'app');
      assert.deepEqual(gc.counts, ga.counts);
      assert.equal(gc.procs, 2);
    }
  });
  it('continues per-task context switches after restore, for single- and multi-threaded processes', () => {
    const mk = () =>
      new MemorySource(BOOT).add(
        { pid: 10, comm: 'app', starttime: 100, voluntary: 5 },
        { pid: 20, comm: 'app', starttime: 100, threads: [{ tid: 20, name: 'app', voluntary: 7 }, { tid: 21, name: 'w', voluntary: 9 }] },
      );
    const steps: [number, Parameters<MemorySource['update']>[1]][][] = [
      [
        [10, { voluntary: 6 }],
        [20, { threads: [{ tid: 20, name: 'app', voluntary: 8 }, { tid: 21, name: 'w', voluntary: 19 }] }],
      ],
      [
        [10, { threads: [{ tid: 10, name: 'app', voluntary: 9 }, { tid: 11, name: 'w', voluntary: 1 }] }],
        [20, { threads: undefined, voluntary: 10 }],
      ],
    ];
    const { a, srcA, c, srcB } = uninterruptedAndRestored(mk);
    for (const [i, step] of steps.entries()) {
      for (const [pid, change] of step) {
        srcA.update(pid, change);
        srcB.update(pid, change);
      }
      const ga = group(run(a, srcA, T0 + i + 1), 'app');
      const gc = group(run(c, srcB, T0 + i + 1), 'app');
      assert.deepEqual(gc.counts, ga.counts);
      assert.ok(ga.counts.ctxSwitchVoluntary > 0);
    }
  });
});
