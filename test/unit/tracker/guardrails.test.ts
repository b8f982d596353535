/**
 * Kernel-cost guardrails: smaps_every (proportional memory read every Nth cycle, the last value kept in
 * between), smaps_max_rss (no smaps for very large processes), and cycle_time_budget (the rest of a
 * cycle carried over or deferred, never lost); plus the tracker forgetting ignored processes that exited.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ProcfsReader } from '../../../src/procfs/reader.js';
import type { MetricsRead, ProcStat, ReadMetricsOptions } from '../../../src/procfs/types.js';
import { Collector } from '../../../src/collector/collector.js';
import type { CollectorOptions } from '../../../src/collector/collector.js';
import { Grouper } from '../../../src/tracker/grouper.js';
import type { GroupStats, GrouperOptions } from '../../../src/tracker/grouper.js';
import type { ProcAttributes } from '../../../src/base/process.js';
import { Tracker } from '../../../src/tracker/tracker.js';
import { MemorySource } from '../../helpers/memory-source.js';
import { smapsRollupText, tempRoot, writeProcfs } from '../procfs/fake-procfs.js';

const BOOT = 1_700_000_000;
const T0 = (BOOT + 1000) * 1000;
const AFTER_START_TICKS = 2000 * 100;

function namerFor(groups: Record<string, string>): GrouperOptions['namer'] {
  return {
    matchAndName(a: ProcAttributes) {
      const name = groups[a.comm];
      return name === undefined ? { matched: false } : { matched: true, name };
    },
  };
}

function options(groups: Record<string, string>, extra: Partial<CollectorOptions> = {}): CollectorOptions {
  return {
    namer: namerFor(groups),
    children: true,
    recheck: false,
    recheckTimeLimitMs: 0,
    removeEmptyGroups: false,
    lookupUsername: (uid) => String(uid),
    threads: true,
    gatherSmaps: true,
    ...extra,
  };
}

/** A MemorySource with PSS per process that honours skipSmaps, and counts smaps reads. */
class SmapsSource extends MemorySource {
  readonly pss = new Map<number, number>();
  smapsReads = 0;
  skipped = 0;

  override readMetrics(pid: number, stat: ProcStat, opts?: ReadMetricsOptions): MetricsRead {
    const read = super.readMetrics(pid, stat);
    if (read.kind !== 'ok') return read;
    if (opts?.skipSmaps === true) {
      this.skipped++;
      return { ...read, smapsSkipped: true };
    }
    this.smapsReads++;
    const pss = this.pss.get(pid) ?? 0;
    return { ...read, metrics: { ...read.metrics, memory: { ...read.metrics.memory, proportionalBytes: pss } } };
  }
}

/** A clock that advances `stepMs` on every readStat: "reading a process takes stepMs". */
class TimedSource extends MemorySource {
  nowMs = 0;
  /** Pids whose metrics were read, in order. */
  readonly read: number[] = [];
  constructor(readonly stepMs: number) {
    super(BOOT);
  }
  override readStat(pid: number): ProcStat | undefined {
    this.nowMs += this.stepMs;
    return super.readStat(pid);
  }
  override readMetrics(pid: number, stat: ProcStat): MetricsRead {
    this.read.push(pid);
    return super.readMetrics(pid, stat);
  }
}

function group(g: Grouper, src: MemorySource, atMs: number, name: string): GroupStats {
  const r = g.update(src, atMs);
  assert.ok(r.ok);
  const s = r.groups.get(name);
  assert.ok(s, `group ${name}`);
  return s;
}

describe('smaps_every', () => {
  it('reads smaps at first sight and then every Nth cycle, keeping the last value in between', () => {
    const src = new SmapsSource(BOOT);
    for (let pid = 10; pid < 16; pid++) {
      src.add({ pid, comm: 'app', starttime: 100 });
      src.pss.set(pid, 1000);
    }
    const g = new Grouper({ ...options({ app: 'app' }), smapsEvery: 3 });
    assert.equal(group(g, src, T0, 'app').memory.proportionalBytes, 6000);
    assert.equal(src.smapsReads, 6);
    assert.equal(src.skipped, 0);

    // Every pss doubles; a process is re-read when (cycle + pid) % 3 === 0, i.e. 2 of the 6 each cycle.
    for (let pid = 10; pid < 16; pid++) src.pss.set(pid, 2000);
    const seen: number[] = [];
    for (let c = 0; c < 3; c++) {
      src.smapsReads = 0;
      seen.push(group(g, src, T0 + (c + 1) * 1000, 'app').memory.proportionalBytes);
      assert.equal(src.smapsReads, 2, `cycle ${c + 2} reads 2 of 6`);
    }
    assert.deepEqual(seen, [8000, 10000, 12000]);
    assert.equal(src.skipped, 12);
  });

  it('reads a new process at once, whatever the cycle', () => {
    const src = new SmapsSource(BOOT).add({ pid: 10, comm: 'app', starttime: 100 });
    src.pss.set(10, 1000);
    const g = new Grouper({ ...options({ app: 'app' }), smapsEvery: 1000 });
    group(g, src, T0, 'app');
    src.add({ pid: 11, comm: 'app', starttime: AFTER_START_TICKS });
    src.pss.set(11, 500);
    assert.equal(group(g, src, T0 + 1000, 'app').memory.proportionalBytes, 1500);
  });

  it('is every cycle by default (process-exporter parity)', () => {
    const src = new SmapsSource(BOOT).add({ pid: 10, comm: 'app', starttime: 100 });
    const g = new Grouper(options({ app: 'app' }));
    for (let c = 0; c < 4; c++) {
      src.pss.set(10, c * 100);
      assert.equal(group(g, src, T0 + c, 'app').memory.proportionalBytes, c * 100);
    }
    assert.equal(src.skipped, 0);
  });
});

describe('smaps_max_rss', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ root, cleanup } = tempRoot());
  });
  afterEach(() => {
    cleanup();
  });

  it('does not read smaps of a process whose rss is above the limit: proportional memory 0, not partial', () => {
    writeProcfs(root, [
      { stat: { pid: 100, comm: 'small', rss: 10 }, files: { smaps_rollup: smapsRollupText(20, 1) } },
      { stat: { pid: 200, comm: 'huge', rss: 1000 }, files: { smaps_rollup: smapsRollupText(3000, 7) } },
    ]);
    const opened = ProcfsReader.open({ root, gatherSmaps: true, pageSize: 4096, smapsMaxRssBytes: 100 * 4096 });
    assert.ok(opened.ok);
    const reader = opened.value;
    for (const [pid, pss, swapPss] of [
      [100, 20 * 1024, 1024],
      [200, 0, 0],
    ] as const) {
      const stat = reader.readStat(pid);
      assert.ok(stat);
      const read = reader.readMetrics(pid, stat);
      assert.ok(read.kind === 'ok');
      assert.equal(read.partial, false);
      assert.equal(read.metrics.memory.proportionalBytes, pss);
      assert.equal(read.metrics.memory.proportionalSwapBytes, swapPss);
    }
  });

  it('skipSmaps leaves smaps unread and says so', () => {
    writeProcfs(root, [{ stat: { pid: 100, comm: 'app', rss: 10 } }]);
    const opened = ProcfsReader.open({ root, gatherSmaps: true, pageSize: 4096 });
    assert.ok(opened.ok);
    const stat = opened.value.readStat(100);
    assert.ok(stat);
    const read = opened.value.readMetrics(100, stat, { skipSmaps: true });
    assert.ok(read.kind === 'ok');
    assert.equal(read.smapsSkipped, true);
    assert.equal(read.partial, false);
    assert.equal(read.metrics.memory.proportionalBytes, 0);
  });
});

describe('cycle_time_budget', () => {
  /** 10 tracked processes of 1 tick of CPU per cycle each; reading one takes 10 ms; budget 35 ms → 4 read per cycle. */
  function setup(): { src: TimedSource; collector: Collector } {
    const src = new TimedSource(10);
    for (let pid = 10; pid < 20; pid++) src.add({ pid, comm: 'app', starttime: 100, utime: 0 });
    const collector = new Collector(src, { ...options({ app: 'app' }), cycleTimeBudgetMs: 35, monotonicMs: () => src.nowMs });
    return { src, collector };
  }

  function sample(families: ReturnType<Collector['cycle']>['families'], name: string, labels: Record<string, string> = {}): number | undefined {
    const f = families.find((x) => x.name === name);
    const s = f?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels.some((l) => l.name === k && l.value === v)));
    return s?.value;
  }

  it('has no budget in the startup cycle, which sets every baseline', () => {
    const { collector } = setup();
    const r = collector.prime(T0);
    assert.equal(r.procs, 10);
    assert.equal(r.budgetSkipped, 0);
  });

  it('carries skipped processes over unchanged: none vanishes, no CPU second is lost, every process is read within a few cycles', () => {
    const { src, collector } = setup();
    collector.prime(T0);
    let utime = 0;
    const readAt = new Map<number, number>();
    for (let c = 1; c <= 6; c++) {
      utime += 100; // one second of CPU per process per cycle
      for (let pid = 10; pid < 20; pid++) src.update(pid, { utime });
      const before = src.calls.readMetrics;
      const r = collector.cycle(T0 + c * 1000);
      assert.equal(r.procs, 10, 'skipped processes are not vanished');
      assert.equal(src.calls.readMetrics - before, 4, 'the budget stops the cycle after 4 processes');
      assert.equal(r.budgetSkipped, 6);
      for (const p of r.tracked) if (p.metrics.counts.cpuUser === utime / 100) readAt.set(p.pid, c);
      const cpu = sample(r.families, 'namedprocess_namegroup_cpu_seconds_total', { mode: 'user' });
      // Counted CPU is exactly what was read: each process's last read value (nothing lost, nothing twice).
      let expected = 0;
      for (const p of r.tracked) expected += p.metrics.counts.cpuUser;
      assert.equal(cpu, expected);
    }
    // Rotation: 4 per cycle over 10 processes, so all were read within the 6 cycles, and recently.
    assert.equal(readAt.size, 10);
    for (const c of readAt.values()) assert.ok(c >= 4, 'each process was read in one of the last 3 cycles');
    assert.equal(sample(collector.cycle(T0 + 7000).families, 'procpush_cycle_budget_exceeded_total'), 7);
  });

  it('defers new processes to a later cycle and then counts their whole lifetime', () => {
    const { src, collector } = setup();
    collector.prime(T0);
    // A new process with 5 s of CPU appears at the end of the listing.
    src.add({ pid: 99, comm: 'app', starttime: AFTER_START_TICKS, utime: 500 });
    let total = 0;
    let firstSeen = 0;
    for (let c = 1; c <= 4 && firstSeen === 0; c++) {
      const r = collector.cycle(T0 + c * 1000);
      total = sample(r.families, 'namedprocess_namegroup_cpu_seconds_total', { mode: 'user' }) ?? 0;
      if (r.tracked.some((p) => p.pid === 99)) firstSeen = c;
    }
    assert.ok(firstSeen > 1, 'not read in the first budgeted cycle');
    assert.equal(total, 5, 'its whole lifetime counts once it is read');
  });

  it('emits no budget series without a budget (process-exporter parity)', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'app', starttime: 100 });
    const collector = new Collector(src, options({ app: 'app' }));
    collector.prime(T0);
    const r = collector.cycle(T0 + 1000);
    assert.equal(
      r.families.some((f) => f.name.startsWith('procpush_')),
      false,
    );
  });
});

describe('ignored processes', () => {
  it('are forgotten once their pid is no longer listed, and never re-read while listed', () => {
    const src = new MemorySource(BOOT).add({ pid: 10, comm: 'app', starttime: 100 }, { pid: 11, comm: 'other', starttime: 100, ppid: 0 });
    const t = new Tracker({ namer: namerFor({ app: 'app' }), children: true, recheck: false, recheckTimeLimitMs: 0, lookupUsername: String });
    t.update(src, T0);
    assert.deepEqual(t.snapshot().ignored, ['11:100']);
    const reads = src.calls.readMetrics;
    t.update(src, T0 + 1);
    assert.equal(src.calls.readMetrics - reads, 1, 'only the tracked process is read');
    src.remove(11);
    t.update(src, T0 + 2);
    assert.deepEqual(t.snapshot().ignored, []);
  });
});

describe('cycle_time_budget across runs (once --state)', () => {
  it('a restored tracker resumes after the last process the saved cycle read', () => {
    const src = new TimedSource(10);
    for (let pid = 10; pid < 20; pid++) src.add({ pid, comm: 'app', starttime: 100 });
    const opts = { namer: namerFor({ app: 'app' }), children: true, recheck: false, recheckTimeLimitMs: 0, lookupUsername: String, cycleTimeBudgetMs: 35 };
    const first = new Tracker({ ...opts, monotonicMs: () => src.nowMs });
    first.update(src, T0);
    first.update(src, T0 + 1000); // reads 10..13
    const saved = JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<Tracker['snapshot']>;
    assert.equal(saved.resumeAfterPid, 13);

    const second = new Tracker({ ...opts, monotonicMs: () => src.nowMs });
    second.restore(saved);
    src.read.length = 0;
    second.update(src, T0 + 2000);
    assert.deepEqual(src.read, [14, 15, 16, 17]);
  });
});
