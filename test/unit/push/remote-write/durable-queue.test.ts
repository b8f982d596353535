/**
 * The remote-write sink with `queue.dir`: outages, restarts (a new process = a new QueueFs and a new
 * sink on the same directory, the old one abandoned without close, as after kill -9), corrupt files,
 * bounds, max_age, order, and the hand-over between two sinks of one process (config reload).
 * The receiver is a scripted in-process transport; time is fake; the files are real (a temp dir).
 */

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { createSink } from '../../../../src/push/create-sink.js';
import type { QueueFs } from '../../../../src/push/deps.js';
import type { HttpRequest, HttpResult } from '../../../../src/push/http/http-types.js';
import { createNodeQueueFs } from '../../../../src/push/node-deps.js';
import { defaultQueueDir, withOnceQueueDir } from '../../../../src/push/sink-config.js';
import { parseSinksConfig } from '../../../../src/config/sinks.js';
import { sinkConfig, type SinkConfigInput } from '../../../helpers/sink-config.js';
import type { PushPayload, Sink } from '../../../../src/push/types.js';
import { err } from '../../../../src/base/result.js';
import { QUEUE_LOCK_FILE } from '../../../../src/push/remote-write/disk-queue.js';
import { markLockOwnerDead } from '../../../helpers/locks.js';
import { createTestSinkDeps, decodeRemoteWriteBody, labelsOf, STALE_MARKER_HEX, type TestSinkDeps } from '../../../helpers/mock-receiver.js';

const work = mkdtempSync(join(tmpdir(), 'procpush-durable-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});
let dirs = 0;
function freshDir(): string {
  dirs += 1;
  return join(work, `d${dirs}`, 'queue');
}

const T0 = 1_700_000_000_000; // createFakeTime's start
const EXTRA = [{ name: 'instance', value: 'n1' }];

function payload(cycle: number, groups: Readonly<Record<string, number>> = { a: cycle }): PushPayload {
  return {
    timestampMs: T0 + cycle * 1000,
    extraLabels: EXTRA,
    families: [
      {
        name: 'namedprocess_namegroup_num_procs',
        help: 'number of processes in this group',
        type: 'gauge',
        samples: Object.entries(groups).map(([groupname, value]) => ({ labels: [{ name: 'groupname', value: groupname }], value })),
      },
    ],
  };
}

const DOWN: HttpResult = { kind: 'network-error', message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED', mayHaveReachedServer: false };
const OK: HttpResult = { kind: 'response', status: 204, headers: new Map(), body: '', bodyTruncated: false };
function status(s: number, body = ''): HttpResult {
  return { kind: 'response', status: s, headers: new Map(), body, bodyTruncated: false };
}

/** A receiver: down or up, with scripted answers first; records what it was sent. */
class Receiver {
  up = true;
  readonly script: HttpResult[] = [];
  readonly requests: HttpRequest[] = [];
  /** `group=value@second` of every series of every accepted (2xx) request, in arrival order. */
  readonly stored: string[] = [];

  transport = (req: HttpRequest): Promise<HttpResult> => {
    this.requests.push(req);
    const r = this.script.shift() ?? (this.up ? OK : DOWN);
    if (r.kind === 'response' && r.status < 300) this.stored.push(...summary(req));
    return Promise.resolve(r);
  };
}

function summary(req: HttpRequest): string[] {
  const d = decodeRemoteWriteBody(req.body ?? new Uint8Array());
  if (!d.ok) throw new Error(d.error);
  return d.value.timeseries.map((ts) => {
    const s = ts.samples[0];
    const v = s === undefined ? '?' : s.valueHex === STALE_MARKER_HEX ? 'STALE' : String(s.value);
    return `${labelsOf(ts)['groupname'] ?? ''}=${v}@${String(((s?.timestampMs ?? 0) - T0) / 1000)}`;
  });
}

/**
 * One agent process: its own clock, lock table and logger. The processes before it in the test are
 * taken for dead when it locks a directory (their lock files become stale, as after a kill -9).
 */
function agentProcess(rx: Receiver, fs: QueueFs = createNodeQueueFs()): TestSinkDeps & { queueFs: QueueFs } {
  const base = createTestSinkDeps();
  const queueFs: QueueFs = {
    ...fs,
    tryLock: (dir) => {
      markLockOwnerDead(join(dir, QUEUE_LOCK_FILE));
      return fs.tryLock(dir);
    },
  };
  return { ...base, queueFs, createTransport: () => ({ request: rx.transport, close: () => undefined }) };
}

function sink(deps: TestSinkDeps, input: Partial<SinkConfigInput> & { queue?: Record<string, unknown> }): Sink {
  const config = sinkConfig({
    type: 'remote_write',
    url: 'http://127.0.0.1:1/api/v1/write',
    name: 'rw',
    retry: { min_backoff: '100ms', max_backoff: '1s', max_retries: 1 },
    ...input,
  });
  const s = createSink(config, deps);
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

/** The queue files of a directory (its lock file aside). */
function files(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n !== QUEUE_LOCK_FILE)
    .sort();
}

void test('an outage keeps every batch on disk; after a kill -9 the next process sends them first, in order, then deletes them', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  const a = agentProcess(rx);
  const first = sink(a, { queue: { dir } });
  assert.equal((await first.send(payload(1))).outcome, 'ok');
  assert.deepEqual(files(dir), [], 'a delivered batch leaves no file');
  rx.up = false;
  for (let c = 2; c <= 6; c++) assert.equal((await first.send(payload(c))).outcome, 'failed');
  assert.equal(files(dir).length, 5);
  assert.equal(first.stats().queueBatches, 5);
  // kill -9: the sink is abandoned, never closed. A new process opens the same directory.
  rx.up = true;
  const b = agentProcess(rx);
  const second = sink(b, { queue: { dir } });
  const r = await second.send(payload(7));
  assert.equal(r.outcome, 'ok');
  assert.equal(r.deliveredSamples, 6);
  assert.deepEqual(rx.stored, ['a=1@1', 'a=2@2', 'a=3@3', 'a=4@4', 'a=5@5', 'a=6@6', 'a=7@7']);
  assert.deepEqual(files(dir), []);
  assert.ok(b.logger.entries.some((e) => e.msg === 'queue directory loaded: its batches are sent first' && JSON.stringify(e.obj).includes('"batches":5')));
  await second.close({ staleMarkers: false });
});

void test('a graceful shutdown during an outage keeps the queue (stale markers included) on disk; the next start sends it before its own cycles', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.up = false;
  const a = agentProcess(rx);
  const first = sink(a, { queue: { dir } });
  await first.send(payload(1, { a: 1, b: 2 }));
  await first.send(payload(2, { a: 3, b: 4 }));
  const closed = await first.close({ timestampMs: T0 + 2500 });
  assert.equal(closed.outcome, 'failed', 'kept, not dropped');
  assert.equal(closed.droppedSamples, 0);
  assert.match(closed.error ?? '', /3 batch\(es\) kept in .* for the next start/);
  assert.equal(first.stats().samplesDroppedTotal, 0);
  assert.equal(files(dir).length, 3);
  rx.up = true;
  const second = sink(agentProcess(rx), { queue: { dir } });
  assert.equal((await second.send(payload(5, { a: 9 }))).outcome, 'ok');
  assert.deepEqual(rx.stored, ['a=1@1', 'b=2@1', 'a=3@2', 'b=4@2', 'a=STALE@2.5', 'b=STALE@2.5', 'a=9@5']);
  await second.close({ staleMarkers: false });
});

void test('a batch delivered just before a kill -9 (its file not yet deleted) is sent again and a 400 "out of order" for it counts as already written', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  // A filesystem where deletes are lost: the process "died" between the 2xx and the unlink. The
  // first attempt fails, so the batch is on disk when the retry delivers it.
  const real = createNodeQueueFs();
  const forgetful: QueueFs = { ...real, remove: () => ({ ok: true, value: undefined }) };
  const first = sink(agentProcess(rx, forgetful), { queue: { dir } });
  rx.script.push(DOWN);
  assert.equal((await first.send(payload(1))).outcome, 'ok');
  assert.equal(files(dir).filter((n) => n.endsWith('.rwq')).length, 1);
  const b = agentProcess(rx);
  const second = sink(b, { queue: { dir } });
  rx.script.push(status(400, 'out of order sample'));
  const r = await second.send(payload(2));
  assert.equal(r.outcome, 'ok');
  assert.equal(second.stats().samplesFailedTotal, 0);
  assert.equal(second.stats().samplesSentTotal, 2);
  assert.deepEqual(rx.stored, ['a=1@1', 'a=2@2']);
  assert.deepEqual(files(dir), []);
  await second.close({ staleMarkers: false });
});

void test('a corrupt queue file is deleted and counted as dropped; the rest is sent in order', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.up = false;
  const first = sink(agentProcess(rx), { queue: { dir } });
  for (let c = 1; c <= 3; c++) await first.send(payload(c, { a: c, b: c }));
  const names = files(dir);
  assert.equal(names.length, 3);
  const tail = join(dir, names[2] ?? '');
  truncateSync(tail, readFileSync(tail).length - 3);
  rx.up = true;
  const b = agentProcess(rx);
  const second = sink(b, { queue: { dir } });
  const r = await second.send(payload(4, { a: 4 }));
  assert.equal(r.outcome, 'dropped');
  assert.equal(r.droppedSamples, 2);
  assert.equal(second.stats().samplesDroppedTotal, 2);
  // (No stale marker for b: which series the previous process sent last is not kept across a restart.)
  assert.deepEqual(rx.stored, ['a=1@1', 'b=1@1', 'a=2@2', 'b=2@2', 'a=4@4']);
  assert.ok(b.logger.entries.some((e) => e.msg === 'corrupt queue file deleted'));
  await second.close({ staleMarkers: false });
});

void test('bounds apply on disk: max_batches and max_bytes drop (and delete) the oldest files, also when loading', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.up = false;
  const first = sink(agentProcess(rx), { queue: { dir, max_batches: 3 } });
  for (let c = 1; c <= 5; c++) await first.send(payload(c));
  assert.equal(files(dir).length, 3);
  assert.equal(first.stats().samplesDroppedTotal, 2);
  // A restart with a smaller bound: the oldest loaded files go.
  const second = sink(agentProcess(rx), { queue: { dir, max_batches: 2 } });
  await second.send(payload(6));
  assert.equal(files(dir).length, 2);
  assert.equal(second.stats().samplesDroppedTotal, 2);
  rx.up = true;
  await second.send(payload(7));
  assert.deepEqual(rx.stored, ['a=6@6', 'a=7@7']);
  assert.deepEqual(files(dir), []);
  // max_bytes: each batch here is about 80 bytes.
  const third = sink(agentProcess(rx), { queue: { dir, max_bytes: 200 } });
  rx.up = false;
  for (let c = 8; c <= 12; c++) await third.send(payload(c));
  assert.ok(files(dir).length <= 2, `${files(dir).length} files`);
  assert.ok(third.stats().samplesDroppedTotal >= 3);
  await third.close({ staleMarkers: false });
});

void test('max_age drops what is too old: on disk at load, and in memory before an attempt', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.up = false;
  const a = agentProcess(rx);
  const first = sink(a, { queue: { dir, max_age: '1m' } });
  for (let c = 1; c <= 3; c++) await first.send(payload(c));
  assert.equal(files(dir).length, 3);
  // The next process starts 10 minutes later.
  const b = agentProcess(rx);
  b.time.advance(600_000);
  rx.up = true;
  const second = sink(b, { queue: { dir, max_age: '1m' } });
  const r = await second.send(payload(601));
  assert.equal(r.droppedSamples, 3);
  assert.equal(second.stats().samplesDroppedTotal, 3);
  assert.deepEqual(rx.stored, ['a=601@601']);
  assert.deepEqual(files(dir), []);
  assert.ok(b.logger.entries.some((e) => e.msg === 'push queue: batches older than queue.max_age dropped'));
  await second.close({ staleMarkers: false });

  // In memory (no dir), the same bound.
  const rx2 = new Receiver();
  rx2.up = false;
  const m = agentProcess(rx2);
  const mem = sink(m, { queue: { max_age: '1m' } });
  await mem.send(payload(1));
  await mem.send(payload(2));
  m.time.advance(120_000);
  rx2.up = true;
  const r2 = await mem.send(payload(123));
  assert.equal(r2.droppedSamples, 2);
  assert.deepEqual(rx2.stored, ['a=123@123']);
  await mem.close({ staleMarkers: false });
});

void test('a 413 splits a batch loaded from disk; its file goes only when both halves are delivered', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.up = false;
  const first = sink(agentProcess(rx), { queue: { dir } });
  await first.send(payload(1, { a: 1, b: 2, c: 3, d: 4 }));
  assert.equal(files(dir).length, 1);
  rx.up = true;
  rx.script.push(status(413), OK, DOWN, DOWN); // max_retries 1: two attempts of the second half
  const second = sink(agentProcess(rx), { queue: { dir } });
  const r = await second.send(payload(2, { a: 5 }));
  assert.equal(r.outcome, 'failed');
  assert.deepEqual(rx.stored, ['a=1@1', 'b=2@1']);
  assert.equal(files(dir).length, 2, 'the split file (second half pending) and the new batch');
  // A kill -9 now: the next process sends the whole split file again (its first half is a duplicate,
  // which Prometheus ignores), then the rest.
  const third = sink(agentProcess(rx), { queue: { dir } });
  assert.equal((await third.send(payload(3, { a: 6 }))).outcome, 'ok');
  assert.deepEqual(rx.stored, ['a=1@1', 'b=2@1', 'a=1@1', 'b=2@1', 'c=3@1', 'd=4@1', 'a=5@2', 'a=6@3']);
  assert.deepEqual(files(dir), []);
  await third.close({ staleMarkers: false });
});

void test('a disk that cannot be written keeps batches in memory (sent when the receiver is back) and logs the error once', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.up = false;
  const real = createNodeQueueFs();
  const full: QueueFs = { ...real, writeAtomic: () => err('ENOSPC: no space left on device') };
  const deps = agentProcess(rx, full);
  const s = sink(deps, { queue: { dir } });
  for (let c = 1; c <= 3; c++) await s.send(payload(c));
  assert.deepEqual(files(dir), []);
  assert.equal(deps.logger.entries.filter((e) => e.level === 'error' && /cannot write to the queue directory/.test(e.msg)).length, 1);
  rx.up = true;
  assert.equal((await s.send(payload(4))).outcome, 'ok');
  assert.deepEqual(rx.stored, ['a=1@1', 'a=2@2', 'a=3@3', 'a=4@4']);
  rx.up = false;
  await s.send(payload(5));
  const closed = await s.close({ staleMarkers: false });
  assert.equal(closed.outcome, 'dropped', 'memory-only batches are lost at shutdown and counted');
  assert.equal(s.stats().samplesDroppedTotal, 1);
});

void test('an unusable directory: the sink works in memory and tries the directory again at the next send', async () => {
  const blocker = join(work, 'blocker');
  writeFileSync(blocker, 'a file where the directory should be');
  const rx = new Receiver();
  const deps = agentProcess(rx);
  const s = sink(deps, { queue: { dir: join(blocker, 'q') } });
  assert.equal((await s.send(payload(1))).outcome, 'ok');
  assert.equal((await s.send(payload(2))).outcome, 'ok');
  assert.deepEqual(rx.stored, ['a=1@1', 'a=2@2']);
  const logged = deps.logger.entries.filter((e) => e.msg.startsWith('queue directory unusable'));
  assert.deepEqual(logged.map((e) => e.level), ['error', 'debug'], 'tried at each send, logged once');
  await s.close({ staleMarkers: false });
});

void test('config reload: a new sink on the same directory waits for the old one to close, then sends its leftovers first', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.up = false;
  const proc = agentProcess(rx); // one process, one lock table
  const old = sink(proc, { queue: { dir } });
  await old.send(payload(1));
  await old.send(payload(2));
  const fresh = sink(proc, { queue: { dir } });
  // A sink that never sent never takes the directory, so discarding it is harmless.
  const discarded = sink(proc, { queue: { dir } });
  assert.equal((await discarded.close({ staleMarkers: false })).outcome, 'ok');
  const waiting = await fresh.send(payload(3));
  assert.equal(waiting.outcome, 'failed');
  assert.match(waiting.error ?? '', /held by another sink of this process/);
  assert.equal(rx.requests.filter((r) => summary(r).includes('a=3@3')).length, 0, 'nothing overtakes the older batches');
  await old.close({ timestampMs: T0 + 2500 });
  rx.up = true;
  assert.equal((await fresh.send(payload(4))).outcome, 'ok');
  assert.deepEqual(rx.stored, ['a=1@1', 'a=2@2', 'a=STALE@2.5', 'a=3@3', 'a=4@4']);
  await fresh.close({ staleMarkers: false });
});

/** A QueueFs that counts the files it writes. */
function countingFs(): { fs: QueueFs; writes: () => number } {
  const real = createNodeQueueFs();
  let writes = 0;
  return {
    fs: {
      ...real,
      writeAtomic: (path, data) => {
        writes += 1;
        return real.writeAtomic(path, data);
      },
    },
    writes: () => writes,
  };
}

void test('spill, not journal: while the receiver takes everything at once, nothing is written to the queue directory', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  const counting = countingFs();
  const s = sink(agentProcess(rx, counting.fs), { queue: { dir } });
  for (let c = 1; c <= 20; c++) assert.equal((await s.send(payload(c))).outcome, 'ok');
  assert.equal(counting.writes(), 0);
  assert.deepEqual(files(dir), []);
  assert.equal((await s.close({ staleMarkers: false })).outcome, 'ok');
  assert.equal(counting.writes(), 0, 'nor at a shutdown with nothing pending');
});

void test('spill: a batch goes to disk at its first failed attempt, before the retry', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  const onDiskAtRetry: number[] = [];
  const transport = rx.transport;
  rx.transport = (req) => {
    onDiskAtRetry.push(existsSync(dir) ? files(dir).length : 0);
    return transport(req);
  };
  rx.script.push(DOWN);
  const s = sink(agentProcess(rx), { queue: { dir } });
  assert.equal((await s.send(payload(1))).outcome, 'ok');
  assert.deepEqual(onDiskAtRetry, [0, 1], 'not written before the first attempt; on disk when it is retried');
  assert.deepEqual(files(dir), [], 'deleted once delivered');
  await s.close({ staleMarkers: false });
});

void test('the first cycle after a start is on disk at once while the backlog of the directory is being sent', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.up = false;
  const first = sink(agentProcess(rx), { queue: { dir } });
  await first.send(payload(1));
  await first.send(payload(2));
  assert.equal(files(dir).length, 2);
  // kill -9, and a new process whose first cycle comes while the receiver is still down.
  let onDisk = -1;
  const transport = rx.transport;
  rx.transport = (req) => {
    onDisk = Math.max(onDisk, files(dir).length);
    return transport(req);
  };
  const second = sink(agentProcess(rx), { queue: { dir } });
  await second.send(payload(3));
  assert.equal(onDisk, 3, 'the new cycle was on disk before the first attempt of the backlog');
  rx.up = true;
  assert.equal((await second.send(payload(4))).outcome, 'ok');
  assert.deepEqual(rx.stored, ['a=1@1', 'a=2@2', 'a=3@3', 'a=4@4']);
  await second.close({ staleMarkers: false });
});

void test('spill: what a new cycle finds still queued goes to disk at once, with the new batch', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  const counting = countingFs();
  const deps = agentProcess(rx, counting.fs);
  const s = sink(deps, { queue: { dir }, send_deadline: '1ms', timeout: '1ms' });
  // The first send runs out of time before it can try (a slow receiver): nothing failed, nothing written.
  deps.time.advance(0);
  rx.up = false;
  await s.send(payload(1));
  const afterFirst = counting.writes();
  await s.send(payload(2));
  assert.ok(counting.writes() >= afterFirst + 1, 'the waiting batch and the new one are on disk');
  assert.equal(files(dir).length, 2);
  await s.close({ staleMarkers: false });
});

void test('shutdown during an outage with queue.dir: one try that stops at the first failure, everything kept on disk', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.up = false;
  const deps = agentProcess(rx);
  const s = sink(deps, { queue: { dir }, retry: { min_backoff: '100ms', max_backoff: '1s', max_retries: 10 } });
  await s.send(payload(1));
  const before = rx.requests.length;
  const startedAt = deps.time.nowMs();
  const closed = await s.close({ timestampMs: T0 + 1500, deadlineMs: deps.time.nowMs() + 30_000 });
  // At most one attempt (none while the backoff of the failed send runs), within half a second.
  assert.ok(rx.requests.length - before <= 1, `${rx.requests.length - before} attempts`);
  assert.ok(deps.time.nowMs() - startedAt <= 500, `${deps.time.nowMs() - startedAt} ms`);
  assert.equal(closed.droppedSamples, 0);
  assert.match(closed.error ?? '', /kept in .* for the next start/);
  assert.equal(files(dir).length, 2, 'the cycle and the stale markers');
});

void test('retire (untilDelivered): the close keeps trying until the receiver takes it or the deadline passes', async () => {
  const dir = freshDir();
  const rx = new Receiver();
  rx.script.push(DOWN, DOWN, DOWN);
  const deps = agentProcess(rx);
  const s = sink(deps, { queue: { dir }, retry: { min_backoff: '100ms', max_backoff: '1s', max_retries: 10 } });
  const closed = await s.close({ deadlineMs: deps.time.nowMs() + 30_000, untilDelivered: true, staleMarkers: false });
  assert.equal(closed.outcome, 'ok');
  await (async () => {
    // Nothing was queued: a close with stale markers of a restored memory is what retire sends.
    const rx2 = new Receiver();
    rx2.script.push(DOWN, DOWN);
    const deps2 = agentProcess(rx2);
    const r = sink(deps2, { queue: { dir: freshDir() }, retry: { min_backoff: '100ms', max_backoff: '1s', max_retries: 10 } });
    r.restoreMemory?.({ kind: 'remote_write', series: [[{ name: '__name__', value: 'namedprocess_namegroup_num_procs' }, { name: 'groupname', value: 'a' }, { name: 'instance', value: 'n1' }]] });
    const done = await r.close({ deadlineMs: deps2.time.nowMs() + 30_000, untilDelivered: true, timestampMs: T0 + 9000 });
    assert.equal(done.outcome, 'ok');
    assert.equal(rx2.requests.length, 3);
    assert.deepEqual(rx2.stored, ['a=STALE@9']);
  })();
});

void test('the queue directory option: one directory per sink, a default next to the once state file', () => {
  const dup = parseSinksConfig([
    { type: 'remote_write', url: 'http://h/a', queue: { dir: '/var/lib/q' } },
    { type: 'remote_write', url: 'http://h/b', queue: { dir: '/var/lib/q/' } },
  ]);
  assert.ok(!dup.ok);
  assert.match(JSON.stringify(dup.error), /queue directory \/var\/lib\/q\/ is used by another sink/);
  const c = sinkConfig({ type: 'remote_write', url: 'http://h/w', queue: { dir: '/q', max_age: '0' } });
  assert.deepEqual(c.type === 'remote_write' ? c.queue : undefined, { maxBatches: 10_000, maxBytes: 64 * 1_048_576, maxAgeMs: Infinity, dir: '/q' });
  assert.equal(defaultQueueDir('/var/lib/procpush/state.json', 'central'), '/var/lib/procpush/state.json.queue/central');
  assert.match(defaultQueueDir('/s', 'remote_write:127.0.0.1:9090/api/v1/write'), /^\/s\.queue\/remote_write_127\.0\.0\.1_9090_api_v1_write-[0-9a-f]{8}$/);
  assert.notEqual(defaultQueueDir('/s', 'a/b'), defaultQueueDir('/s', 'a_b'));
  assert.match(defaultQueueDir('/s', '..'), /^\/s\.queue\/_\.-[0-9a-f]{8}$/);
  const explicit = withOnceQueueDir(c, '/s');
  assert.equal(explicit, c, 'an explicit dir wins');
  const pg = sinkConfig({ type: 'pushgateway', url: 'http://h' });
  assert.equal(withOnceQueueDir(pg, '/s'), pg, 'the Pushgateway has no queue directory');
});
