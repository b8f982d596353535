import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import fc from 'fast-check';

import { createNodeQueueFs } from '../../../../src/push/node-deps.js';
import { crc32, tableCrc32 } from '../../../../src/base/binary.js';
import {
  decodeQueueRecord,
  encodeQueueRecord,
  MAX_QUEUE_SEQ,
  QUEUE_LOCK_FILE,
  queueFileName,
  QueueDir,
  type LoadReport,
  type QueueRecord,
} from '../../../../src/push/remote-write/disk-queue.js';
import { markLockOwnerDead } from '../../../helpers/locks.js';
import { createFakeTime } from '../../../helpers/mock-receiver.js';

const work = mkdtempSync(join(tmpdir(), 'procpush-diskq-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});
let dirs = 0;
function freshDir(): string {
  dirs += 1;
  return join(work, `q${dirs}`, 'sink');
}

/** The queue files of a directory (its lock file aside), sorted. */
function queueFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n !== QUEUE_LOCK_FILE)
    .sort();
}

function record(ts: number, ...chunks: [string, number][]): QueueRecord {
  return { minTimestampMs: ts, maxTimestampMs: ts, chunks: chunks.map(([text, samples]) => ({ bytes: Buffer.from(text), samples })) };
}

function texts(r: QueueRecord): string[] {
  return r.chunks.map((c) => `${Buffer.from(c.bytes).toString()}/${c.samples}`);
}

/**
 * Opens a directory as a new process would (its own lock table). An earlier "process" of this test
 * that still holds the directory's lock file is taken for dead (as after a kill -9).
 */
async function openDir(dir: string, fs = createNodeQueueFs()): Promise<{ q: QueueDir; load: LoadReport; removeErrors: string[] }> {
  markLockOwnerDead(join(dir, QUEUE_LOCK_FILE));
  const removeErrors: string[] = [];
  const q = new QueueDir(dir, fs, (path, e) => removeErrors.push(`${path}: ${e}`));
  const time = createFakeTime();
  const r = await q.open({ deadlineMs: time.nowMs() + 1000, nowMs: time.nowMs, sleep: time.sleep });
  assert.ok(r !== 'busy' && r.ok, `open failed: ${JSON.stringify(r)}`);
  return { q, load: r.value, removeErrors };
}

void test('crc32 is the IEEE CRC-32 (check value of "123456789"); the native and the portable one agree', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(tableCrc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 300 }), (bytes, cut) => {
      const end = Math.min(cut, bytes.length);
      return crc32(bytes, end) === tableCrc32(bytes, end);
    }),
    { numRuns: 500, seed: 3 },
  );
});

void test('a queue record round-trips: timestamps, chunk boundaries and samples', () => {
  const r: QueueRecord = {
    minTimestampMs: 1_700_000_000_123,
    maxTimestampMs: 1_700_000_001_000,
    chunks: [
      { bytes: Buffer.from('meta'), samples: 0 },
      { bytes: Buffer.from('series-a'), samples: 1 },
      { bytes: new Uint8Array(), samples: 0 },
      { bytes: Buffer.from('series-b'), samples: 1 },
    ],
  };
  const bytes = encodeQueueRecord(r);
  assert.equal(Buffer.from(bytes.subarray(0, 4)).toString('latin1'), 'PPRW');
  const back = decodeQueueRecord(bytes);
  assert.ok(back.ok);
  assert.equal(back.value.minTimestampMs, r.minTimestampMs);
  assert.equal(back.value.maxTimestampMs, r.maxTimestampMs);
  assert.deepEqual(texts(back.value), ['meta/0', 'series-a/1', '/0', 'series-b/1']);
});

void test('every truncation and every single-byte change of a queue file is detected, never accepted', () => {
  const bytes = encodeQueueRecord(record(1_700_000_000_000, ['abc', 1], ['defgh', 2]));
  for (let cut = 0; cut < bytes.length; cut++) {
    const r = decodeQueueRecord(bytes.subarray(0, cut));
    assert.equal(r.ok, false, `accepted a file cut at ${cut} of ${bytes.length} bytes`);
  }
  for (let i = 0; i < bytes.length; i++) {
    for (const flip of [0x01, 0x80, 0xff]) {
      const damaged = Uint8Array.from(bytes);
      damaged[i] = (damaged[i] ?? 0) ^ flip;
      assert.equal(decodeQueueRecord(damaged).ok, false, `accepted a change at byte ${i}`);
    }
  }
});

void test('decodeQueueRecord never throws on arbitrary bytes (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const r = decodeQueueRecord(bytes);
      return typeof r.ok === 'boolean';
    }),
    { numRuns: 2000, seed: 42 },
  );
  // Valid records with arbitrary contents round-trip.
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.nat({ max: 5 })), { maxLength: 8 }),
      fc.integer({ min: 0, max: 2 ** 45 }),
      (chunks, ts) => {
        const r = decodeQueueRecord(encodeQueueRecord({ minTimestampMs: ts, maxTimestampMs: ts, chunks: chunks.map(([bytes, samples]) => ({ bytes, samples })) }));
        return r.ok && r.value.chunks.length === chunks.length && r.value.chunks.every((c, i) => Buffer.from(c.bytes).equals(Buffer.from(chunks[i]?.[0] ?? [])));
      },
    ),
    { numRuns: 300, seed: 7 },
  );
});

void test('queueDir appends one file per batch in sequence order and a new owner loads them in that order', async () => {
  const dir = freshDir();
  const a = await openDir(dir);
  assert.deepEqual(a.load.files, []);
  for (let i = 1; i <= 12; i++) {
    const f = a.q.append(record(1000 * i, [`batch-${i}`, 1]));
    assert.ok(f.ok);
  }
  assert.deepEqual(readdirSync(dir).sort().slice(0, 2), [queueFileName(1), queueFileName(2)]);
  a.q.close();
  const b = await openDir(dir);
  assert.deepEqual(
    b.load.files.map((f) => texts(f.record)[0]),
    Array.from({ length: 12 }, (_, i) => `batch-${i + 1}/1`),
  );
  // New files go after the loaded ones, even after some were deleted.
  b.load.files[11]?.file.release();
  const next = b.q.append(record(99_000, ['after', 1]));
  assert.ok(next.ok);
  assert.equal(next.value.file.path, join(dir, queueFileName(13)));
  b.q.close();
});

void test('queueDir deletes leftover temp files of an interrupted write and ignores foreign files', async () => {
  const dir = freshDir();
  const a = await openDir(dir);
  assert.ok(a.q.append(record(1, ['one', 1])).ok);
  a.q.close();
  writeFileSync(join(dir, `${queueFileName(2)}.tmp`), 'half a write');
  writeFileSync(join(dir, 'README'), 'not ours');
  const b = await openDir(dir);
  assert.equal(b.load.files.length, 1);
  assert.equal(b.load.tempFiles, 1);
  assert.deepEqual(readdirSync(dir).sort(), [queueFileName(1), 'README', QUEUE_LOCK_FILE]);
  assert.deepEqual(b.load.junk, { deleted: [], ignored: ['README'] });
  b.q.close();
});

void test('queueDir deletes queue file names out of range (junk) so the sequence never passes 2^53, and goes on after the valid ones', async () => {
  const dir = freshDir();
  const a = await openDir(dir);
  assert.ok(a.q.append(record(1, ['one', 1])).ok);
  a.q.close();
  writeFileSync(join(dir, '9999999999999999.rwq'), 'junk');
  writeFileSync(join(dir, '0000000000000000.rwq'), 'junk');
  const b = await openDir(dir);
  assert.equal(MAX_QUEUE_SEQ < Number.MAX_SAFE_INTEGER, true);
  assert.deepEqual([...b.load.junk.deleted].sort(), ['0000000000000000.rwq', '9999999999999999.rwq']);
  assert.equal(b.load.files.length, 1);
  const next = b.q.append(record(2, ['two', 1]));
  assert.ok(next.ok);
  assert.equal(next.value.file.path, join(dir, queueFileName(2)));
  assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.rwq')).sort(), [queueFileName(1), queueFileName(2)]);
  b.q.close();
});

void test('a queue directory deleted while open is created again (with its lock) at the next write', async () => {
  const dir = freshDir();
  const a = await openDir(dir);
  assert.ok(a.q.append(record(1, ['one', 1])).ok);
  rmSync(dir, { recursive: true, force: true });
  const again = a.q.append(record(2, ['two', 1]));
  assert.ok(again.ok);
  assert.equal(again.value.recreated, true);
  // The failed attempt used number 2 (numbers are never reused).
  assert.deepEqual(readdirSync(dir).sort(), [queueFileName(3), QUEUE_LOCK_FILE]);
  a.q.close();
  assert.deepEqual(readdirSync(dir), [queueFileName(3)], 'the lock file goes with the owner');
});

void test('queueDir recovers from a truncated or damaged file: it is reported with its samples, deleted, and the others load', async () => {
  const dir = freshDir();
  const a = await openDir(dir);
  for (let i = 1; i <= 4; i++) assert.ok(a.q.append(record(i, [`batch-${i}`, 3])).ok);
  a.q.close();
  // The tail file cut short (a torn write on a filesystem that does not order data and rename),
  // and one in the middle with a flipped byte.
  const last = join(dir, queueFileName(4));
  truncateSync(last, readFileSync(last).length - 5);
  const second = join(dir, queueFileName(2));
  const bytes = readFileSync(second);
  bytes[40] = (bytes[40] ?? 0) ^ 0x10;
  writeFileSync(second, bytes);
  const b = await openDir(dir);
  assert.deepEqual(
    b.load.files.map((f) => texts(f.record)[0]),
    ['batch-1/3', 'batch-3/3'],
  );
  assert.deepEqual(
    b.load.corrupt.map((c) => [c.name, c.samples, /CRC/.test(c.reason)]),
    [
      [queueFileName(2), 3, true],
      [queueFileName(4), 3, true],
    ],
  );
  assert.deepEqual(queueFiles(dir), [queueFileName(1), queueFileName(3)]);
  b.q.close();
});

void test('a file shared by split halves is deleted when the last half is released', async () => {
  const dir = freshDir();
  const a = await openDir(dir);
  const f = a.q.append(record(1, ['x', 1], ['y', 1]));
  assert.ok(f.ok);
  f.value.file.retain();
  f.value.file.release();
  assert.equal(queueFiles(dir).length, 1);
  f.value.file.release();
  assert.equal(queueFiles(dir).length, 0);
  a.q.close();
});

void test('one process: a second owner of a directory waits for the first to let go, or reports busy at its deadline', async () => {
  const dir = freshDir();
  const fs = createNodeQueueFs();
  const first = await openDir(dir, fs);
  const second = new QueueDir(dir, fs, () => undefined);
  const time = createFakeTime();
  const busy = await second.open({ deadlineMs: time.nowMs() + 500, nowMs: time.nowMs, sleep: time.sleep });
  assert.equal(busy, 'busy');
  // With a real wait: released while waiting.
  const waiting = second.open({
    deadlineMs: Date.now() + 5000,
    nowMs: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      }),
  });
  first.q.close();
  const r = await waiting;
  assert.ok(r !== 'busy' && r.ok);
  assert.ok(second.isOpen);
  second.close();
});

void test('another process is refused a directory in use, with a clear error; a stale lock (its owner gone) is taken over', async () => {
  const dir = freshDir();
  const first = await openDir(dir);
  // Another lock table, as in another process: the lock file (owned by a live process) refuses it.
  const other = new QueueDir(dir, createNodeQueueFs(), () => undefined);
  const time = createFakeTime();
  const refused = await other.open({ deadlineMs: time.nowMs() + 1000, nowMs: time.nowMs, sleep: time.sleep });
  assert.ok(refused !== 'busy' && !refused.ok);
  assert.match(refused.error, /queue directory .* is used by another procpush: .*procpush\.lock is held by this process since .*; give each agent its own queue\.dir/);
  assert.equal(other.isOpen, false);
  // The owner dies without letting go (kill -9): its lock is stale.
  const taken = await openDir(dir);
  assert.equal(taken.q.isOpen, true);
  taken.q.close();
  first.q.close(); // its lock file is no longer its own: left alone
});

void test('queueDir reports an unusable directory as an error value', async () => {
  const file = join(work, 'a-file');
  writeFileSync(file, 'x');
  const q = new QueueDir(join(file, 'sub'), createNodeQueueFs(), () => undefined);
  const time = createFakeTime();
  const r = await q.open({ deadlineMs: time.nowMs() + 100, nowMs: time.nowMs, sleep: time.sleep });
  assert.ok(r !== 'busy' && !r.ok);
  assert.match(r.error, /cannot create queue directory/);
  assert.equal(q.isOpen, false);
});
