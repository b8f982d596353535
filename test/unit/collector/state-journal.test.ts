/**
 * The state journal (src/collector/state-journal.ts): replaying it gives the last recorded value of
 * every counter, whatever the sequence of cycles; a record only holds what changed; a writer that
 * goes on appending to an existing journal keeps its name numbering; damage never throws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { journalHeader, JournalWriter, replayJournal, type JournalGroup } from '../../../src/collector/state-journal.js';
import type { Counts } from '../../../src/procfs/types.js';

const FIELDS = ['cpuUser', 'cpuSystem', 'readBytes', 'writeBytes', 'majorPageFaults', 'minorPageFaults', 'ctxSwitchVoluntary', 'ctxSwitchNonvoluntary'] as const;
const COUNTERS = { scrapeErrors: 0, procReadErrors: 0, partialErrors: 0 };

function counts(partial: Partial<Counts> = {}): Counts {
  return { cpuUser: 0, cpuSystem: 0, readBytes: 0, writeBytes: 0, majorPageFaults: 0, minorPageFaults: 0, ctxSwitchVoluntary: 0, ctxSwitchNonvoluntary: 0, ...partial };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

describe('state journal', () => {
  it('replays to the last value of every counter it recorded, for any sequence of cycles', () => {
    const value = fc.oneof(fc.nat(), fc.nat().map((v) => v / 100), fc.double({ min: 0, max: 1e15, noNaN: true }));
    const cycle = fc.dictionary(
      fc.constantFrom('app', 'db', 'wéb', ''),
      fc.record({ counts: fc.record(Object.fromEntries(FIELDS.map((f) => [f, value])) as Record<(typeof FIELDS)[number], fc.Arbitrary<number>>), thread: fc.option(fc.constantFrom('io', 'main')) }),
    );
    fc.assert(
      fc.property(fc.array(cycle, { minLength: 1, maxLength: 8 }), fc.nat({ max: 100 }), (cycles, errors) => {
        const w = new JournalWriter();
        w.restart(new Map(), COUNTERS);
        const records: Uint8Array[] = [journalHeader(9)];
        const last = new Map<string, Counts>();
        const lastThread = new Map<string, Counts>();
        cycles.forEach((c, i) => {
          const groups = new Map<string, JournalGroup>();
          for (const [name, generated] of Object.entries(c)) {
            // fast-check's records have no prototype; the replay's objects do.
            const g = { counts: { ...generated.counts }, thread: generated.thread };
            groups.set(name, { counts: g.counts, threads: g.thread === null ? [] : [{ name: g.thread, counts: g.counts }] });
            last.set(name, g.counts);
            if (g.thread !== null) lastThread.set(`${name}/${g.thread}`, g.counts);
          }
          records.push(Uint8Array.from(w.record(1000 + i, groups, { ...COUNTERS, procReadErrors: errors + i })));
        });
        const r = replayJournal(concat(records), 9);
        assert.ok(r.ok && r.value.kind === 'ok');
        assert.equal(r.value.records, cycles.length);
        assert.equal(r.value.floors.counters.procReadErrors, errors + cycles.length - 1);
        for (const [name, c] of last) {
          // A counter never recorded (always 0) has no floor entry, which means 0.
          assert.deepEqual(r.value.floors.groups.get(name)?.counts ?? counts(), c, name);
        }
        for (const [key, c] of lastThread) {
          const [g, t] = key.split('/');
          assert.deepEqual(r.value.floors.threads.get(g ?? '')?.get(t ?? '') ?? counts(), c, key);
        }
      }),
      { numRuns: 300, seed: 21 },
    );
  });

  it('records only what changed since the last record (or the checkpoint): an idle group costs nothing', () => {
    const w = new JournalWriter();
    const idle = counts({ cpuUser: 5, minorPageFaults: 100 });
    w.restart(new Map([['idle', { counts: idle, threads: [] }]]), COUNTERS);
    const groups = new Map<string, JournalGroup>([
      ['idle', { counts: idle, threads: [] }],
      ['busy', { counts: counts({ cpuUser: 1.25 }), threads: [] }],
    ]);
    const first = Uint8Array.from(w.record(1, groups, COUNTERS));
    groups.set('busy', { counts: counts({ cpuUser: 1.5 }), threads: [] });
    const second = Uint8Array.from(w.record(2, groups, COUNTERS));
    const unchanged = Uint8Array.from(w.record(3, groups, COUNTERS));
    assert.ok(second.length < first.length, 'the second record refers to the name by number');
    assert.ok(unchanged.length <= 12, `${unchanged.length} bytes for a cycle where nothing changed`);
    const r = replayJournal(concat([journalHeader(1), first, second, unchanged]), 1);
    assert.ok(r.ok && r.value.kind === 'ok');
    assert.equal(r.value.floors.groups.has('idle'), false);
    assert.equal(r.value.floors.groups.get('busy')?.counts.cpuUser, 1.5);
    assert.equal(r.value.floors.groups.get('busy')?.atMs, 2);
  });

  it('a writer appending to an existing journal (after a restore) keeps its name numbering', () => {
    const a = new JournalWriter();
    a.restart(new Map(), COUNTERS);
    const r1 = Uint8Array.from(a.record(1, new Map([['app', { counts: counts({ cpuUser: 1 }), threads: [{ name: 'io', counts: counts({ cpuUser: 1 }) }] }]]), COUNTERS));
    const before = replayJournal(concat([journalHeader(3), r1]), 3);
    assert.ok(before.ok && before.value.kind === 'ok');
    assert.deepEqual(before.value.names, ['app', 'io']);
    const b = new JournalWriter();
    b.restart(new Map(), COUNTERS, before.value.names);
    const r2 = Uint8Array.from(b.record(2, new Map([['db', { counts: counts({ cpuUser: 2 }), threads: [] }], ['app', { counts: counts({ cpuUser: 3 }), threads: [] }]]), COUNTERS));
    const after = replayJournal(concat([journalHeader(3), r1, r2]), 3);
    assert.ok(after.ok && after.value.kind === 'ok');
    assert.equal(after.value.floors.groups.get('app')?.counts.cpuUser, 3);
    assert.equal(after.value.floors.groups.get('db')?.counts.cpuUser, 2);
    assert.equal(after.value.floors.threads.get('app')?.get('io')?.cpuUser, 1);
  });

  it('belongs to one checkpoint; damage ends the replay at the last whole record and never throws', () => {
    const w = new JournalWriter();
    w.restart(new Map(), COUNTERS);
    const recs = [1, 2, 3].map((i) => Uint8Array.from(w.record(i, new Map([['g', { counts: counts({ cpuUser: i }), threads: [] }]]), COUNTERS)));
    const good = concat([journalHeader(77), ...recs]);
    const other = replayJournal(good, 78);
    assert.ok(other.ok && other.value.kind === 'other-checkpoint');
    assert.ok(!replayJournal(good.subarray(0, 5), 77).ok);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean(), (at, bit, cut) => {
        const i = 13 + (at % (good.length - 13));
        const bad = cut ? good.subarray(0, i) : Uint8Array.from(good);
        if (!cut) bad[i] = (bad[i] ?? 0) ^ (1 << bit);
        const r = replayJournal(bad, 77);
        if (!r.ok || r.value.kind !== 'ok') return true;
        // Whatever was kept is a prefix of what was written.
        const cpu = r.value.floors.groups.get('g')?.counts.cpuUser ?? 0;
        return r.value.records < 3 && cpu === r.value.records;
      }),
      { numRuns: 1000, seed: 4 },
    );
  });
});
