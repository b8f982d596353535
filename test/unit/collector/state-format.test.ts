/**
 * The state file's format (src/collector/state-format.ts): a round trip gives back exactly what was
 * saved, a real grouper continues from it exactly as an uninterrupted one, and no damaged or
 * malformed file crashes the decoder or is misread (property and fuzz tests).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateRawSync } from 'node:zlib';

import fc from 'fast-check';

import { ByteWriter, crc32 } from '../../../src/base/binary.js';
import { decodeState, encodeState, STATE_MAGIC, STATE_VERSION, type StateDocument } from '../../../src/collector/state-format.js';
import type { Counts } from '../../../src/procfs/types.js';
import type { Label } from '../../../src/series/types.js';
import { Grouper } from '../../../src/tracker/grouper.js';
import { MemorySource, type FakeProc } from '../../helpers/memory-source.js';
import { namerFor } from '../../helpers/namers.js';

const BOOT = 1_700_000_000;

function grouper(opts: { budgetMs?: number } = {}): Grouper {
  return new Grouper({
    namer: namerFor({ app: 'app', db: 'db', web: 'web' }),
    children: true,
    recheck: false,
    recheckTimeLimitMs: 0,
    lookupUsername: String,
    removeEmptyGroups: false,
    ...(opts.budgetMs !== undefined ? { cycleTimeBudgetMs: opts.budgetMs } : {}),
  });
}

/** A host of single- and multi-threaded processes in three groups, plus ignored ones. */
function host(): MemorySource {
  const procs: FakeProc[] = [];
  for (let pid = 100; pid < 160; pid++) {
    procs.push({ pid, comm: pid % 3 === 0 ? 'app' : pid % 3 === 1 ? 'db' : 'web', starttime: 1000 + pid, utime: pid * 7, stime: pid, readBytes: pid * 4096, voluntary: pid * 3, minflt: pid * 11 });
  }
  procs.push({ pid: 500, comm: 'db', starttime: 900, threads: [{ tid: 500, name: 'db', utime: 5, voluntary: 2 }, { tid: 501, name: 'wal', utime: 9, voluntary: 40 }, { tid: 502, name: 'io', utime: 1, wchan: 'io_schedule' }] });
  procs.push({ pid: 600, comm: 'other', starttime: 950, ppid: 1 });
  procs.push({ pid: 601, comm: 'other2', starttime: 951, ppid: 1 });
  return new MemorySource(BOOT).add(...procs);
}

function docOf(g: Grouper, sinks: StateDocument['sinks'] = []): StateDocument {
  return {
    savedAtMs: 1_700_000_123_456,
    checkpointId: 0xdeadbeef,
    fingerprint: '0123456789abcdef0123456789abcdef',
    bootId: '5c1f6d2e-6a4b-4d8e-9f8a-0123456789ab',
    bootTimeSeconds: BOOT,
    collector: { grouper: g.snapshot(), counters: { scrapeErrors: 1, procReadErrors: 2, partialErrors: 3 } },
    sinks,
  };
}

/** What decoding returns for a document: tracked and ignored processes sorted by pid. */
function normalised(doc: StateDocument): StateDocument {
  const t = doc.collector.grouper.tracker;
  return {
    ...doc,
    collector: {
      ...doc.collector,
      grouper: {
        ...doc.collector.grouper,
        tracker: { ...t, tracked: [...t.tracked].sort((a, b) => a.pid - b.pid), ignored: [...t.ignored].sort((a, b) => a[0] - b[0]) },
      },
    },
  };
}

function series(node: string, group: string, extra: Label[] = []): Label[] {
  return [
    { name: '__name__', value: 'namedprocess_namegroup_num_procs' },
    { name: 'groupname', value: group },
    { name: 'instance', value: node },
    ...extra,
    { name: 'node', value: node },
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
}

describe('state format', () => {
  it('round-trips a real grouper snapshot with sinks, compressed or not', () => {
    const g = grouper();
    const src = host();
    g.update(src, BOOT * 1000 + 1);
    src.update(100, { utime: 9999 });
    g.update(src, BOOT * 1000 + 2);
    const doc = docOf(g, [
      { name: 'central', target: 'http://127.0.0.1:9090/api/v1/write', memory: { kind: 'remote_write', series: [series('n1', 'app'), series('n1', 'db', [{ name: 'mode', value: 'user' }])] } },
      { name: 'gw', target: 'http://127.0.0.1:9091/', memory: { kind: 'pushgateway', groupUrl: 'http://127.0.0.1:9091/metrics/job/procpush/instance/n1' } },
      { name: 'empty', target: 'http://x/', memory: { kind: 'remote_write', series: [] } },
    ]);
    for (const deflate of [true, false]) {
      const back = decodeState(encodeState(doc, { deflate }));
      assert.ok(back.ok, JSON.stringify(back));
      assert.deepEqual(back.value, normalised(doc));
    }
  });

  it('keeps the gauges (and thread names) only when a cycle time budget is set', () => {
    const plain = grouper();
    const budgeted = grouper({ budgetMs: 10_000 });
    for (const g of [plain, budgeted]) g.update(host(), BOOT * 1000 + 1);
    const a = decodeState(encodeState(docOf(plain)));
    const b = decodeState(encodeState(docOf(budgeted)));
    assert.ok(a.ok && b.ok);
    assert.ok(a.value.collector.grouper.tracker.tracked.every((t) => t.gauges === undefined));
    assert.ok(b.value.collector.grouper.tracker.tracked.every((t) => t.gauges !== undefined));
    const threaded = b.value.collector.grouper.tracker.tracked.find((t) => t.pid === 500);
    assert.deepEqual(threaded?.threads?.map((t) => t.name), ['db', 'wal', 'io']);
    assert.deepEqual(normalised(docOf(budgeted)), b.value);
  });

  it('a grouper restored from the decoded file continues exactly as an uninterrupted one', () => {
    const a = grouper();
    const srcA = host();
    const b = grouper();
    const srcB = host();
    a.update(srcA, BOOT * 1000 + 1);
    b.update(srcB, BOOT * 1000 + 1);
    const decoded = decodeState(encodeState(docOf(b)));
    assert.ok(decoded.ok);
    const c = grouper();
    c.restore(decoded.value.collector.grouper);
    for (let step = 1; step <= 3; step++) {
      for (const src of [srcA, srcB]) {
        src.update(100, { utime: 100 * 7 + step * 50, voluntary: 300 + step });
        src.update(500, { threads: [{ tid: 500, name: 'db', utime: 5 + step, voluntary: 2 + step }, { tid: 501, name: 'wal', utime: 9 + step * 3, voluntary: 40 + step }, { tid: 503, name: 'io', utime: step }] });
        if (step === 2) src.remove(101);
      }
      const ga = a.update(srcA, BOOT * 1000 + 1 + step);
      const gc = c.update(srcB, BOOT * 1000 + 1 + step);
      assert.ok(ga.ok && gc.ok);
      for (const name of ['app', 'db', 'web']) {
        assert.deepEqual(gc.groups.get(name)?.counts, ga.groups.get(name)?.counts, `${name} at step ${step}`);
        assert.deepEqual(gc.groups.get(name)?.threads, ga.groups.get(name)?.threads, `${name} threads at step ${step}`);
      }
    }
  });

  it('is compact: well under 100 bytes per tracked process, command lines and cgroups left out', () => {
    const g = grouper();
    const procs: FakeProc[] = [];
    for (let pid = 1000; pid < 2500; pid++) {
      procs.push({ pid, comm: 'app', cmdline: ['/usr/bin/app', '--password=hunter2', 'x'.repeat(2000)], starttime: 5000 + pid, utime: pid * 13, stime: pid * 3, readBytes: pid * 65_536, writeBytes: pid * 1000, voluntary: pid * 17, nonvoluntary: pid, minflt: pid * 101, majflt: pid % 7 });
    }
    const src = new MemorySource(BOOT).add(...procs);
    g.update(src, BOOT * 1000 + 1);
    const bytes = encodeState(docOf(g));
    assert.ok(bytes.length / 1500 < 40, `${(bytes.length / 1500).toFixed(1)} bytes per process`);
    assert.equal(Buffer.from(bytes).includes('hunter2'), false);
  });

  it('tells an older (JSON) or foreign file from a damaged one', () => {
    const json = Buffer.from('{"format":"procpush-state","savedAtMs":1,"fingerprint":"x","collector":{}}');
    const v1 = decodeState(json);
    assert.ok(!v1.ok && v1.error.kind === 'version' && v1.error.version === 'json-v1');
    const foreign = decodeState(Buffer.from('{"hello": 1}'));
    assert.ok(!foreign.ok && foreign.error.kind === 'foreign');
    assert.ok(!decodeState(Buffer.from('PK\u0003\u0004 a zip file')).ok);
    const good = encodeState(docOf(grouper()));
    const future = Uint8Array.from(good);
    future[4] = STATE_VERSION + 1;
    const fv = decodeState(future);
    assert.ok(!fv.ok && fv.error.kind === 'version' && fv.error.version === STATE_VERSION + 1);
    assert.ok(!decodeState(new Uint8Array()).ok);
  });

  it('never crashes on and never misreads a damaged file (bit flips, truncation, insertions)', () => {
    const g = grouper();
    g.update(host(), BOOT * 1000 + 1);
    const doc = docOf(g, [{ name: 'c', target: 't', memory: { kind: 'remote_write', series: [series('n', 'app')] } }]);
    for (const deflate of [true, false]) {
      const good = encodeState(doc, { deflate });
      fc.assert(
        fc.property(
          fc.oneof(
            fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
            fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
            fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
          ),
          (m) => {
            const at = m.at % good.length;
            let bad: Uint8Array;
            if (m.kind === 'flip') {
              bad = Uint8Array.from(good);
              bad[at] = (bad[at] ?? 0) ^ (1 << m.bit);
            } else if (m.kind === 'cut') {
              bad = good.subarray(0, at);
            } else {
              bad = Uint8Array.from([...good.subarray(0, at), ...m.bytes, ...good.subarray(at)]);
            }
            const r = decodeState(bad);
            return !r.ok || JSON.stringify(r.value) === JSON.stringify(normalised(doc));
          },
        ),
        { numRuns: 1500, seed: 11 },
      );
    }
  });

  it('validates the whole document: a well-framed body of wrong content is refused, never thrown or half-read', () => {
    const frame = (body: Uint8Array, deflate: boolean): Uint8Array => {
      const stored = deflate ? deflateRawSync(body) : body;
      const w = new ByteWriter();
      for (const ch of STATE_MAGIC) w.u8(ch.charCodeAt(0));
      w.u8(STATE_VERSION);
      w.u8(deflate ? 1 : 0);
      w.u32(stored.length);
      w.bytes(stored);
      w.u32(crc32(w.view()));
      return w.toBytes();
    };
    const g = grouper();
    g.update(host(), BOOT * 1000 + 1);
    // The real body, mutated after framing would fail the CRC: mutate it, then frame it.
    const realBody = Buffer.from(encodeState(docOf(g), { deflate: false }).subarray(10, -4));
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 255 }), fc.boolean(), (at, value, deflate) => {
        const body = Uint8Array.from(realBody);
        body[at % body.length] = value;
        const r = decodeState(frame(body, deflate));
        if (!r.ok) return r.error.kind === 'corrupt';
        // Accepted: then it is a consistent document.
        const t = r.value.collector.grouper.tracker;
        const pids = t.tracked.map((p) => p.pid);
        return pids.every((p, i) => i === 0 || p > (pids[i - 1] ?? 0)) && t.ignored.every(([p]) => !pids.includes(p));
      }),
      { numRuns: 2000, seed: 5 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (body, deflate) => {
        const r = decodeState(frame(body, deflate));
        return !r.ok || r.value.bootTimeSeconds >= 0;
      }),
      { numRuns: 2000, seed: 6 },
    );
  });

  it('refuses what breaks an invariant even with a valid frame: repeated pids, a pid both tracked and ignored, bad numbers', () => {
    const counts: Counts = { cpuUser: 1.5, cpuSystem: 0, readBytes: 0, writeBytes: 0, majorPageFaults: 0, minorPageFaults: 0, ctxSwitchVoluntary: 0, ctxSwitchNonvoluntary: 0 };
    const base = docOf(grouper());
    const proc = { pid: 10, starttime: 1, group: 'app', startTimeMs: BOOT * 1000 + 10, counts, threads: null };
    const withTracker = (tracked: unknown[], ignored: (readonly [number, number])[] = []): StateDocument => ({
      ...base,
      collector: { ...base.collector, grouper: { groups: [], tracker: { firstUpdateAtMs: 1, tracked: tracked as never, ignored } } },
    });
    assert.ok(decodeState(encodeState(withTracker([proc]))).ok);
    const twice = decodeState(encodeState(withTracker([proc, proc])));
    assert.ok(!twice.ok && /strictly ascending/.test(twice.error.reason));
    const both = decodeState(encodeState(withTracker([proc], [[10, 1]])));
    assert.ok(!both.ok && /both tracked and ignored/.test(both.error.reason));
    const negative = decodeState(encodeState(withTracker([{ ...proc, counts: { ...counts, cpuUser: -1 } }])));
    assert.ok(!negative.ok && /cpuUser/.test(negative.error.reason));
    const nan = decodeState(encodeState(withTracker([{ ...proc, counts: { ...counts, readBytes: Number.NaN } }])));
    assert.ok(!nan.ok);
  });

  it('round-trips any document: unicode names, every kind of number, label sets with and without shared labels', () => {
    const counts = fc.record({
      cpuUser: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e12, noNaN: true }), fc.nat().map((n) => n / 100)),
      cpuSystem: fc.double({ min: 0, max: 1e9, noNaN: true }),
      readBytes: fc.oneof(fc.nat(), fc.constant(2 ** 60)),
      writeBytes: fc.nat(),
      majorPageFaults: fc.nat(),
      minorPageFaults: fc.nat(),
      ctxSwitchVoluntary: fc.nat(),
      ctxSwitchNonvoluntary: fc.nat(),
    });
    const name = fc.string({ unit: 'grapheme', maxLength: 12 });
    const labelSet = fc
      .uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z_]{1,6}$/), value: name }), { selector: (l) => l.name, maxLength: 5 })
      .map((ls) => ls.sort((a, b) => (a.name < b.name ? -1 : 1)));
    const doc = fc.record({
      savedAtMs: fc.nat(),
      checkpointId: fc.nat({ max: 2 ** 32 - 1 }),
      fingerprint: name,
      bootId: name,
      bootTimeSeconds: fc.nat({ max: 2 ** 40 }),
      counters: fc.record({ scrapeErrors: fc.nat(), procReadErrors: fc.nat(), partialErrors: fc.nat() }),
      pids: fc.uniqueArray(fc.integer({ min: 1, max: 4_194_304 }), { maxLength: 20 }),
      groups: fc.uniqueArray(fc.record({ name, lastNonEmptyMs: fc.nat(), counts, threads: fc.uniqueArray(fc.record({ name, counts }), { selector: (t) => t.name, maxLength: 3 }) }), { selector: (g) => g.name, maxLength: 5 }),
      procCounts: counts,
      shared: fc.boolean(),
      series: fc.array(labelSet, { maxLength: 6 }),
    });
    fc.assert(
      fc.property(doc, (generated) => {
        // fast-check's records have no prototype; the decoder's objects do.
        const d = JSON.parse(JSON.stringify(generated)) as typeof generated;
        const half = Math.floor(d.pids.length / 2);
        const tracked = d.pids.slice(0, half).map((pid, i) => ({
          pid,
          starttime: pid * 3,
          group: d.groups[0]?.name ?? 'g',
          startTimeMs: d.bootTimeSeconds * 1000 + pid * 30 + (i % 3) - 1,
          counts: d.procCounts,
          threads: i % 2 === 0 ? null : [{ tid: pid, starttime: pid * 3, counts: d.procCounts }, { tid: pid + 1, starttime: pid * 3 + 1, counts: d.procCounts }],
        }));
        const ignored = d.pids.slice(half).map((pid) => [pid, pid] as const);
        const seriesList = d.shared ? d.series.map((ls) => [...ls, { name: 'zz_node', value: 'n1' }]) : d.series;
        const state: StateDocument = {
          savedAtMs: d.savedAtMs,
          checkpointId: d.checkpointId,
          fingerprint: d.fingerprint,
          bootId: d.bootId,
          bootTimeSeconds: d.bootTimeSeconds,
          collector: { counters: d.counters, grouper: { groups: d.groups, tracker: { firstUpdateAtMs: d.savedAtMs, tracked, ignored, resumeAfterPid: 7 } } },
          sinks: [{ name: 's', target: 't', memory: { kind: 'remote_write', series: seriesList } }],
        };
        const back = decodeState(encodeState(state));
        assert.ok(back.ok, JSON.stringify(back));
        assert.deepEqual(back.value, normalised(state));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
