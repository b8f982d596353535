/**
 * The state file on disk (src/collector/state-file.ts): written atomically with mode 0600, what an
 * interrupted save leaves is removed, the journal beside it is replayed only for its own checkpoint,
 * and the lock keeps a second process out while a killed owner's lock is taken over.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { acquireLockFile, parseLockOwner } from '../../../src/base/lock-file.js';
import { journalPath, loadState, lockPath, lockState, removeStateTemps, saveState, StateJournalFile } from '../../../src/collector/state-file.js';
import type { StateDocument } from '../../../src/collector/state-format.js';
import { JournalWriter } from '../../../src/collector/state-journal.js';
import type { Counts } from '../../../src/procfs/types.js';

const work = mkdtempSync(join(tmpdir(), 'pp-lifetime-state-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});
let n = 0;
function fresh(): string {
  n += 1;
  return join(work, `s${n}`, 'procpush.state');
}

const counts = (cpu: number): Counts => ({ cpuUser: cpu, cpuSystem: 0, readBytes: 0, writeBytes: 0, majorPageFaults: 0, minorPageFaults: 0, ctxSwitchVoluntary: 0, ctxSwitchNonvoluntary: 0 });

function doc(checkpointId: number): StateDocument {
  return {
    savedAtMs: 1234,
    checkpointId,
    fingerprint: 'f',
    bootId: '',
    bootTimeSeconds: 1_700_000_000,
    collector: {
      counters: { scrapeErrors: 0, procReadErrors: 2, partialErrors: 3 },
      grouper: { groups: [{ name: 'app', counts: counts(10), lastNonEmptyMs: 1000, threads: [] }], tracker: { firstUpdateAtMs: 1, tracked: [], ignored: [[5, 100]] } },
    },
    sinks: [],
  };
}

describe('state file on disk', () => {
  it('is written atomically (no temporary file left) with mode 0600, and read back', () => {
    const path = fresh();
    const saved = saveState(path, doc(7));
    assert.ok(saved.ok);
    const loaded = loadState(path);
    assert.ok(loaded.kind === 'ok');
    assert.deepEqual(loaded.doc, doc(7));
    assert.deepEqual(readdirSync(join(path, '..')), ['procpush.state']);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('reports a missing file as missing, an unreadable one as unreadable and garbage as invalid, never throwing', () => {
    const path = fresh();
    assert.deepEqual(loadState(path), { kind: 'missing' });
    saveState(path, doc(1));
    writeFileSync(path, 'garbage');
    assert.equal(loadState(path).kind, 'invalid');
    assert.equal(loadState(join(path, '..')).kind, 'unreadable'); // a directory
  });

  it('removes what an interrupted save left (state.tmp-<pid>), nothing else', () => {
    const path = fresh();
    saveState(path, doc(1));
    writeFileSync(`${path}.tmp-4242`, 'half a save');
    writeFileSync(`${path}.tmp`, 'older half');
    writeFileSync(join(path, '..', 'other.tmp-1'), 'not ours');
    assert.deepEqual(removeStateTemps(path).sort(), ['procpush.state.tmp', 'procpush.state.tmp-4242']);
    assert.deepEqual(readdirSync(join(path, '..')).sort(), ['other.tmp-1', 'procpush.state']);
  });

  it('replays the journal of its own checkpoint (floors), ignores one of another, and stops at a torn tail', () => {
    const path = fresh();
    saveState(path, doc(42));
    const journal = new StateJournalFile(path);
    assert.ok(journal.start(42).ok);
    const writer = new JournalWriter();
    writer.restart(new Map([['app', { counts: counts(10), threads: [] }]]), { scrapeErrors: 0, procReadErrors: 2, partialErrors: 3 });
    const cycle = (cpu: number): Uint8Array => writer.record(2000, new Map([['app', { counts: counts(cpu), threads: [] }], ['new', { counts: counts(1), threads: [] }]]), { scrapeErrors: 0, procReadErrors: 2, partialErrors: 3 });
    assert.ok(journal.append(cycle(11)).ok);
    assert.ok(journal.append(cycle(12.5)).ok);
    journal.close();
    const loaded = loadState(path);
    assert.ok(loaded.kind === 'ok' && loaded.floors !== undefined);
    assert.equal(loaded.journalRecords, 2);
    assert.equal(loaded.journalMatches, true);
    assert.equal(loaded.floors.groups.get('app')?.counts.cpuUser, 12.5);
    assert.equal(loaded.floors.groups.get('new')?.counts.cpuUser, 1);
    // A torn last record (a crash in the middle of a write) is left out; the others count.
    writeFileSync(journalPath(path), Buffer.concat([readFileSync(journalPath(path)), Buffer.from([40, 1, 2])]));
    const torn = loadState(path);
    assert.ok(torn.kind === 'ok' && torn.journalRecords === 2 && !torn.journalMatches);
    // The journal of another checkpoint (the new checkpoint was written, the journal not restarted).
    saveState(path, doc(43));
    const other = loadState(path);
    assert.ok(other.kind === 'ok' && other.floors === undefined && other.journalRecords === 0);
  });

  it('is locked: a live owner in another process keeps it; once that owner is killed (-9), its stale lock is taken over', async () => {
    const path = fresh();
    mkdirSync(join(path, '..'), { recursive: true });
    const lockModule = new URL('../../../src/base/lock-file.js', import.meta.url).href;
    // Another process takes the lock and waits.
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', `const { acquireLockFile } = await import(${JSON.stringify(lockModule)}); const r = acquireLockFile(${JSON.stringify(lockPath(path))}, Date.now()); console.log(r.ok ? 'locked' : r.message); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => { resolve(d.toString().trim()); }));
      assert.equal(first, 'locked');
      const held = lockState(path, Date.now());
      assert.ok(!held.ok && held.reason === 'held');
      assert.equal(held.owner.pid, child.pid);
      assert.match(held.message, new RegExp(`held by process ${String(child.pid)} since`));
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    const taken = lockState(path, Date.now());
    assert.ok(taken.ok);
    assert.equal(parseLockOwner(readFileSync(lockPath(path), 'utf8'))?.pid, process.pid);
    // Our own lock, a second time (another state session of this process): held.
    const again = acquireLockFile(lockPath(path), Date.now());
    assert.ok(!again.ok && again.reason === 'held' && /held by this process/.test(again.message));
    taken.release();
    assert.deepEqual(readdirSync(join(path, '..')), []);
  });
});
