import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DeliveryQueue, type Batch, type DeliveryOptions } from '../../../src/push/delivery-queue.js';
import type { HttpRequest, HttpResult } from '../../../src/push/http/http-types.js';
import { ok } from '../../../src/base/result.js';
import { createCapturingLogger, createFakeTime } from '../../helpers/mock-receiver.js';

const URL_ = new URL('http://127.0.0.1:1/api/v1/write');

function batch(id: number, samples = 1, bytes = 10): Batch & { id: number } {
  return {
    id,
    method: 'POST',
    url: URL_,
    samples,
    bytes,
    contentHeaders: { 'Content-Type': 'application/x-protobuf' },
    body: () => Uint8Array.of(id),
  };
}

function status(s: number, headers: Record<string, string> = {}, body = ''): HttpResult {
  return { kind: 'response', status: s, headers: new Map(Object.entries(headers)), body, bodyTruncated: false };
}

function setup(results: HttpResult[], options: Partial<DeliveryOptions> = {}) {
  const time = createFakeTime();
  const logger = createCapturingLogger();
  const sent: HttpRequest[] = [];
  const queue = new DeliveryQueue(
    {
      sinkName: 'test',
      protocol: 'remote_write',
      requestTimeoutMs: 1000,
      retry: { minBackoffMs: 100, maxBackoffMs: 1000, maxRetries: 3, maxRetryAfterMs: 5000 },
      queue: { maxBatches: 10, maxBytes: 1_000_000, maxAgeMs: Infinity },
      headers: () => ok({ 'User-Agent': 'procpush/test' }),
      secrets: () => ['s3cret'],
      ...options,
    },
    {
      transport: (req) => {
        sent.push(req);
        return Promise.resolve(results.shift() ?? status(204));
      },
      clock: { nowMs: time.nowMs },
      sleep: time.sleep,
      random: () => 0.5,
      logger,
    },
  );
  return { queue, time, logger, sent, bodies: () => sent.map((r) => r.body?.[0]) };
}

void test('deliveryQueue sends batches in order and empties the queue', async () => {
  const { queue, time, bodies } = setup([]);
  queue.enqueue([batch(1), batch(2), batch(3)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.deepEqual(bodies(), [1, 2, 3]);
  assert.deepEqual(r, { deliveredSamples: 3, droppedSamples: 0, rejectedBatches: 0, attempts: 3, pendingBatches: 0, status: 204 });
  assert.equal(queue.stats().samplesSentTotal, 3);
  assert.equal(queue.stats().lastSuccessTimestampMs, time.nowMs());
});

void test('deliveryQueue retries a 500 with backoff, never letting a later batch overtake it', async () => {
  const { queue, time, sent, bodies } = setup([status(500), status(503)]);
  queue.enqueue([batch(1), batch(2)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.deepEqual(bodies(), [1, 1, 1, 2]);
  assert.deepEqual(time.sleeps, [50, 100]); // full jitter with random 0.5: ceilings 100, 200
  assert.equal(sent[0]?.headers['Retry-Attempt'], undefined);
  assert.equal(sent[1]?.headers['Retry-Attempt'], '1');
  assert.equal(sent[2]?.headers['Retry-Attempt'], '2');
  assert.equal(r.deliveredSamples, 2);
  assert.equal(queue.stats().samplesRetriedTotal, 2);
});

void test('deliveryQueue waits the Retry-After of a 429', async () => {
  const { queue, time } = setup([status(429, { 'retry-after': '2' })]);
  queue.enqueue([batch(1)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.deepEqual(time.sleeps, [2000]);
  assert.equal(r.deliveredSamples, 1);
});

void test('deliveryQueue drops a 400 without retrying, counts it, and goes on with the next batch', async () => {
  const { queue, time, bodies, logger } = setup([status(400, {}, 'bad data')]);
  queue.enqueue([batch(1, 5), batch(2, 7)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.deepEqual(bodies(), [1, 2]);
  assert.equal(r.droppedSamples, 5);
  assert.equal(r.rejectedBatches, 1);
  assert.equal(queue.stats().samplesFailedTotal, 5);
  assert.equal(queue.stats().samplesSentTotal, 7);
  const errors = logger.entries.filter((e) => e.level === 'error');
  assert.equal(errors.length, 1);
  assert.match(JSON.stringify(errors[0]), /bad data/);
});

void test('deliveryQueue logs a repeated identical rejection only once at error level', async () => {
  const { queue, time, logger } = setup([status(401), status(401), status(401)]);
  queue.enqueue([batch(1), batch(2), batch(3)]);
  await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.equal(logger.entries.filter((e) => e.level === 'error').length, 1);
  assert.equal(logger.entries.filter((e) => e.level === 'debug').length, 2);
});

void test('deliveryQueue treats "out of order" after a 5xx as already written', async () => {
  const { queue, time } = setup([status(500), status(400, {}, 'out of order sample')]);
  queue.enqueue([batch(1, 4)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.equal(r.deliveredSamples, 4);
  assert.equal(r.droppedSamples, 0);
});

void test('deliveryQueue stops after maxRetries and keeps the batch for the next drain', async () => {
  const { queue, time, sent } = setup([status(500), status(500), status(500), status(500), status(500)]);
  queue.enqueue([batch(1), batch(2)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 100_000 });
  assert.equal(sent.length, 4); // 1 + maxRetries
  assert.equal(r.pendingBatches, 2);
  assert.equal(r.error, 'HTTP 500');
  time.advance(10_000);
  const r2 = await queue.drain({ deadlineMs: time.nowMs() + 100_000 });
  assert.equal(r2.deliveredSamples, 2);
  assert.deepEqual(
    sent.map((s) => s.body?.[0]),
    [1, 1, 1, 1, 1, 1, 2],
  );
});

void test('deliveryQueue stops at the deadline instead of sleeping past it, and honours the wait on the next drain', async () => {
  const { queue, time, sent } = setup([status(503, { 'retry-after': '30' })], {
    retry: { minBackoffMs: 100, maxBackoffMs: 1000, maxRetries: 3, maxRetryAfterMs: 60_000 },
  });
  queue.enqueue([batch(1)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 5000 });
  assert.equal(sent.length, 1);
  assert.equal(r.pendingBatches, 1);
  assert.deepEqual(time.sleeps, []);
  time.advance(10_000); // next cycle: still inside the 30 s the receiver asked for
  const r2 = await queue.drain({ deadlineMs: time.nowMs() + 5000 });
  assert.equal(sent.length, 1);
  assert.equal(r2.pendingBatches, 1);
  time.advance(25_000);
  const r3 = await queue.drain({ deadlineMs: time.nowMs() + 5000 });
  assert.equal(r3.deliveredSamples, 1);
});

void test('deliveryQueue caps each request timeout by the time left before the deadline', async () => {
  const { queue, time, sent } = setup([]);
  queue.enqueue([batch(1)]);
  await queue.drain({ deadlineMs: time.nowMs() + 300 });
  assert.equal(sent[0]?.timeoutMs, 300);
});

void test('deliveryQueue evicts the oldest batches beyond its limits and counts them as dropped', () => {
  const { queue } = setup([], { queue: { maxBatches: 2, maxBytes: 1_000_000, maxAgeMs: Infinity } });
  assert.equal(queue.enqueue([batch(1, 3), batch(2, 4), batch(3, 5)]), 3);
  assert.equal(queue.stats().queueBatches, 2);
  assert.equal(queue.stats().queueSamples, 9);
  assert.equal(queue.stats().samplesDroppedTotal, 3);
  const bytes = setup([], { queue: { maxBatches: 100, maxBytes: 25, maxAgeMs: Infinity } });
  bytes.queue.enqueue([batch(1), batch(2), batch(3)]);
  assert.equal(bytes.queue.stats().queueBatches, 2);
});

void test('deliveryQueue splits a batch answered with 413 and sends both halves in order', async () => {
  const { queue, time, bodies } = setup([status(413)]);
  const whole: Batch = {
    ...batch(9, 2, 20),
    split: () => [batch(7), batch(8)],
  };
  queue.enqueue([whole, batch(10)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.deepEqual(bodies(), [9, 7, 8, 10]);
  assert.equal(r.deliveredSamples, 3);
});

void test('deliveryQueue drops a 413 batch that cannot be split', async () => {
  const { queue, time } = setup([status(413)]);
  queue.enqueue([batch(1)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.equal(r.rejectedBatches, 1);
  assert.match(r.error ?? '', /cannot be split/);
});

void test('deliveryQueue stops waiting when its signal aborts', async () => {
  const { queue, time, sent } = setup([status(500)]);
  const ac = new AbortController();
  queue.enqueue([batch(1)]);
  ac.abort();
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000, signal: ac.signal });
  assert.equal(sent.length, 0);
  assert.equal(r.pendingBatches, 1);
  assert.equal(r.error, 'aborted');
});

void test('deliveryQueue redacts secrets from logged response bodies and truncates them', async () => {
  const { queue, time, logger } = setup([status(400, {}, `echo: Authorization: Basic s3cret ${'x'.repeat(2000)}`)]);
  queue.enqueue([batch(1)]);
  await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  const text = logger.text();
  assert.doesNotMatch(text, /s3cret/);
  assert.match(text, /<redacted>/);
  assert.match(text, /more characters/);
});

void test('deliveryQueue keeps the batch queued when the headers cannot be built', async () => {
  const { queue, time, sent } = setup([], { headers: () => ({ ok: false, error: 'cannot read bearer_token_file: ENOENT' }) });
  queue.enqueue([batch(1)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.equal(sent.length, 0);
  assert.equal(r.pendingBatches, 1);
  assert.match(r.error ?? '', /bearer_token_file/);
});

/** A transport whose answers the test releases one by one. */
function gatedTransport() {
  const waiting: ((r: HttpResult) => void)[] = [];
  const sent: HttpRequest[] = [];
  return {
    sent,
    transport: (req: HttpRequest): Promise<HttpResult> => {
      sent.push(req);
      return new Promise<HttpResult>((resolve) => waiting.push(resolve));
    },
    answer(r: HttpResult): void {
      const next = waiting.shift();
      assert.ok(next, 'no request waiting');
      next(r);
    },
  };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
}

void test('deliveryQueue never evicts or replaces the batch whose request is in flight', async () => {
  const time = createFakeTime();
  const gate = gatedTransport();
  const queue = new DeliveryQueue(
    {
      sinkName: 't',
      protocol: 'pushgateway',
      requestTimeoutMs: 1000,
      retry: { minBackoffMs: 100, maxBackoffMs: 1000, maxRetries: 0, maxRetryAfterMs: 5000 },
      queue: { maxBatches: 1, maxBytes: 1_000_000, maxAgeMs: Infinity },
      headers: () => ok({}),
      secrets: () => [],
    },
    { transport: gate.transport, clock: { nowMs: time.nowMs }, sleep: time.sleep, random: () => 0.5, logger: createCapturingLogger() },
  );
  queue.enqueue([batch(1)]);
  const draining = queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  await until(() => gate.sent.length === 1);
  queue.replaceAll([batch(2)]); // newer snapshot while 1 is on the wire
  queue.replaceAll([batch(3)]); // and a newer one: 2 is superseded, 1 is kept
  assert.equal(queue.stats().queueBatches, 2);
  assert.equal(queue.stats().batchesSupersededTotal, 1);
  gate.answer(status(200));
  await until(() => gate.sent.length === 2);
  gate.answer(status(200));
  const r = await draining;
  assert.deepEqual(
    gate.sent.map((q) => q.body?.[0]),
    [1, 3],
  );
  assert.equal(r.deliveredSamples, 2);
  assert.equal(queue.stats().queueBatches, 0);
});

void test('deliveryQueue reports no error once a retried batch got through, but keeps the reason of a rejection', async () => {
  const recovered = setup([status(500)]);
  recovered.queue.enqueue([batch(1)]);
  const r1 = await recovered.queue.drain({ deadlineMs: recovered.time.nowMs() + 10_000 });
  assert.equal(r1.error, undefined);
  const rejected = setup([status(404), status(500)]);
  rejected.queue.enqueue([batch(1), batch(2)]);
  const r2 = await rejected.queue.drain({ deadlineMs: rejected.time.nowMs() + 10_000 });
  assert.match(r2.error ?? '', /HTTP 404/);
});

/** A batch that records what the queue tells it. */
function trackedBatch(id: number, opts: { samples?: number; timestampMs?: number; durable?: boolean; prepareError?: string } = {}) {
  const events: string[] = [];
  const b: Batch = {
    ...batch(id, opts.samples ?? 1),
    ...(opts.timestampMs !== undefined ? { timestampMs: opts.timestampMs } : {}),
    prepare: () => {
      events.push('prepare');
      return opts.prepareError === undefined ? ok(undefined) : { ok: false, error: opts.prepareError };
    },
    settle: () => {
      events.push('settle');
    },
    durable: () => opts.durable === true,
  };
  return { batch: b, events };
}

void test('deliveryQueue tells a batch when it is about to be sent and when it is gone for good, once', async () => {
  const { queue, time } = setup([status(500), status(204), status(400, {}, 'bad')]);
  const a = trackedBatch(1);
  const b = trackedBatch(2);
  queue.enqueue([a.batch, b.batch]);
  await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.deepEqual(a.events, ['prepare', 'prepare', 'settle']);
  assert.deepEqual(b.events, ['prepare', 'settle']);
});

void test('deliveryQueue drops (and counts) a batch that cannot be prepared, and goes on', async () => {
  const { queue, time, bodies, logger } = setup([]);
  const broken = trackedBatch(1, { samples: 5, prepareError: 'queue file 0001.rwq: CRC mismatch' });
  queue.enqueue([broken.batch, batch(2, 3)]);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.deepEqual(bodies(), [2]);
  assert.equal(r.droppedSamples, 5);
  assert.equal(r.deliveredSamples, 3);
  assert.equal(queue.stats().samplesDroppedTotal, 5);
  assert.deepEqual(broken.events, ['prepare', 'settle']);
  assert.match(r.error ?? '', /CRC mismatch/);
  assert.ok(logger.entries.some((e) => e.level === 'error' && e.msg === 'queued batch unusable: dropped'));
});

void test('deliveryQueue drops batches older than maxAgeMs at enqueue and before each attempt, never the newest in time order', async () => {
  const { queue, time, bodies } = setup([status(503, { 'retry-after': '40' })], {
    queue: { maxBatches: 100, maxBytes: 1_000_000, maxAgeMs: 60_000 },
    retry: { minBackoffMs: 100, maxBackoffMs: 1000, maxRetries: 1, maxRetryAfterMs: 60_000 },
  });
  const now = time.nowMs();
  const old = trackedBatch(1, { timestampMs: now - 61_000, samples: 2 });
  assert.equal(queue.enqueue([old.batch, trackedBatch(2, { timestampMs: now - 30_000 }).batch, trackedBatch(3, { timestampMs: now }).batch]), 2);
  assert.deepEqual(old.events, ['settle']);
  // 2 fails with Retry-After 40 s; after the wait it is 70 s old: dropped before its retry.
  const r = await queue.drain({ deadlineMs: now + 100_000 });
  assert.deepEqual(bodies(), [2, 3]);
  assert.equal(r.droppedSamples, 1);
  assert.equal(r.deliveredSamples, 1);
  assert.equal(queue.stats().samplesDroppedTotal, 3);
});

void test('deliveryQueue.restore puts batches of an earlier run first and treats "out of order" for them as already written', async () => {
  const { queue, time, bodies } = setup([status(400, {}, 'out of order sample')]);
  queue.enqueue([batch(3)]);
  assert.equal(queue.restore([batch(1), batch(2)]), 0);
  const r = await queue.drain({ deadlineMs: time.nowMs() + 10_000 });
  assert.deepEqual(bodies(), [1, 2, 3]);
  assert.equal(r.deliveredSamples, 3);
  assert.equal(queue.stats().samplesFailedTotal, 0);
});

void test('deliveryQueue.release keeps durable batches (not settled, not dropped) and drops memory-only ones', () => {
  const { queue } = setup([]);
  const onDisk = trackedBatch(1, { durable: true, samples: 4 });
  const inMemory = trackedBatch(2, { samples: 3 });
  queue.enqueue([onDisk.batch, inMemory.batch]);
  assert.deepEqual(queue.release(), { keptSamples: 4, keptBatches: 1, droppedSamples: 3 });
  assert.deepEqual(onDisk.events, []);
  assert.deepEqual(inMemory.events, ['settle']);
  assert.equal(queue.stats().samplesDroppedTotal, 3);
  assert.equal(queue.length, 0);
});
