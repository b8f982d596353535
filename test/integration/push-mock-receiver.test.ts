/**
 * The sinks over real HTTP against a scripted mock receiver on 127.0.0.1 (test/helpers/mock-receiver.ts).
 * Time is faked for backoff and deadlines (sleeps return at once and are recorded); only request
 * timeouts use real timers, with small values.
 */

import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { createSink } from '../../src/push/create-sink.js';
import { sinkConfig, type SinkConfigInput } from '../helpers/sink-config.js';
import type { PushPayload, Sink } from '../../src/push/types.js';
import {
  createTestSinkDeps,
  decodeRemoteWriteBody,
  labelsOf,
  startMockReceiver,
  STALE_MARKER_HEX,
  type DecodedWriteRequest,
  type MockReceiver,
  type RecordedRequest,
  type TestSinkDeps,
} from '../helpers/mock-receiver.js';

const T0 = 1_700_000_000_000;
const EXTRA = [
  { name: 'node', value: 'node-1' },
  { name: 'ip', value: '10.0.0.7' },
  { name: 'instance', value: 'node-1' },
];

/** One cycle: `namedprocess_namegroup_num_procs{groupname=…}` per group. */
function payload(cycle: number, groups: Readonly<Record<string, number>>): PushPayload {
  return {
    timestampMs: T0 + cycle * 15_000,
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

function sink(input: SinkConfigInput, deps: TestSinkDeps): Sink {
  const s = createSink(sinkConfig(input), deps);
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

function decoded(req: RecordedRequest | undefined): DecodedWriteRequest {
  assert.ok(req, 'no request recorded');
  const d = decodeRemoteWriteBody(req.body);
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

/** `groupname=value@ts` (or `=STALE`) of every series of a request, for compact assertions. */
function summary(req: RecordedRequest | undefined): string[] {
  return decoded(req).timeseries.map((ts) => {
    const s = ts.samples[0];
    const v = s === undefined ? '?' : s.valueHex === STALE_MARKER_HEX ? 'STALE' : String(s.value);
    return `${labelsOf(ts)['groupname'] ?? ''}=${v}@${String(((s?.timestampMs ?? 0) - T0) / 1000)}`;
  });
}

const receivers: MockReceiver[] = [];
async function receiver(): Promise<MockReceiver> {
  const r = await startMockReceiver();
  receivers.push(r);
  return r;
}
after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

const FAST_RETRY = { min_backoff: '100ms', max_backoff: '1s', max_retries: 3 };

void test('remote write sends the four required headers, user headers and sorted, labelled series', async () => {
  const rx = await receiver();
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/api/v1/write`, headers: { 'X-Scope-OrgID': 'tenant-1' } }, deps);
  const report = await s.send(payload(1, { nginx: 4, bash: 2 }));
  assert.equal(report.outcome, 'ok');
  assert.equal(report.samples, 2);
  const req = rx.requests[0];
  assert.ok(req);
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/api/v1/write');
  assert.equal(req.headers['content-encoding'], 'snappy');
  assert.equal(req.headers['content-type'], 'application/x-protobuf');
  assert.equal(req.headers['x-prometheus-remote-write-version'], '0.1.0');
  assert.equal(req.headers['user-agent'], 'procpush/0.0.0-test');
  assert.equal(req.headers['x-scope-orgid'], 'tenant-1');
  assert.equal(req.headers['retry-attempt'], undefined);
  const series = decoded(req).timeseries;
  for (const ts of series) {
    const names = ts.labels.map((l) => l.name);
    assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.deepEqual(names, ['__name__', 'groupname', 'instance', 'ip', 'node']);
  }
  assert.deepEqual(summary(req), ['nginx=4@15', 'bash=2@15']);
  await s.close({ staleMarkers: false });
});

void test('remote write sends basic auth and never logs the password', async () => {
  const rx = await receiver();
  rx.script({ status: 401, body: 'unauthorized: got Authorization Basic dTpodW50ZXIy and password hunter2' });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, basic_auth: { username: 'u', password: 'hunter2' } }, deps);
  const report = await s.send(payload(1, { a: 1 }));
  assert.equal(rx.requests[0]?.headers.authorization, `Basic ${Buffer.from('u:hunter2').toString('base64')}`);
  assert.equal(report.outcome, 'dropped');
  assert.equal(report.status, 401);
  const everything = `${deps.logger.text()} ${JSON.stringify(report)} ${s.target}`;
  assert.doesNotMatch(everything, /hunter2/);
  assert.doesNotMatch(everything, /dTpodW50ZXIy/);
  await s.close({ staleMarkers: false });
});

void test('remote write moves URL credentials into basic auth and redacts them from the target', async () => {
  const rx = await receiver();
  const deps = createTestSinkDeps();
  const url = rx.url.replace('http://', 'http://user:s3cr%40t@');
  const s = sink({ type: 'remote_write', url: `${url}/w` }, deps);
  await s.send(payload(1, { a: 1 }));
  assert.equal(rx.requests[0]?.headers.authorization, `Basic ${Buffer.from('user:s3cr@t').toString('base64')}`);
  assert.doesNotMatch(s.target, /s3cr/);
  assert.doesNotMatch(s.name, /s3cr/);
  await s.close({ staleMarkers: false });
});

void test('remote write sends a bearer token read from bearer_token_file at every request', async () => {
  const rx = await receiver();
  const files: Record<string, string> = { '/run/token': 'tok-1\n' };
  const deps = createTestSinkDeps({ files });
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, bearer_token_file: '/run/token' }, deps);
  await s.send(payload(1, { a: 1 }));
  files['/run/token'] = 'tok-2';
  await s.send(payload(2, { a: 1 }));
  assert.deepEqual(
    rx.requests.map((r) => r.headers.authorization),
    ['Bearer tok-1', 'Bearer tok-2'],
  );
  assert.doesNotMatch(deps.logger.text(), /tok-/);
  await s.close({ staleMarkers: false });
});

void test('remote write delivers a batch answered 500 then 204 exactly once, before the next one', async () => {
  const rx = await receiver();
  rx.script({ status: 500, body: 'boom' });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, retry: FAST_RETRY }, deps);
  const r1 = await s.send(payload(1, { a: 1 }));
  const r2 = await s.send(payload(2, { a: 2 }));
  assert.equal(r1.outcome, 'ok');
  assert.equal(r1.attempts, 2);
  assert.equal(r2.outcome, 'ok');
  assert.deepEqual(
    rx.requests.map((r) => summary(r).join(',')),
    ['a=1@15', 'a=1@15', 'a=2@30'],
  );
  assert.equal(rx.requests[1]?.headers['retry-attempt'], '1');
  assert.equal(deps.time.sleeps.length, 1);
  assert.ok((deps.time.sleeps[0] ?? -1) >= 0 && (deps.time.sleeps[0] ?? 1e9) < 100);
  assert.equal(s.stats().samplesSentTotal, 2);
  assert.equal(s.stats().samplesRetriedTotal, 1);
  await s.close({ staleMarkers: false });
});

void test('remote write waits the Retry-After of a 429 before retrying', async () => {
  const rx = await receiver();
  rx.script({ status: 429, headers: { 'Retry-After': '2' } });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, retry: FAST_RETRY }, deps);
  const r = await s.send(payload(1, { a: 1 }));
  assert.equal(r.outcome, 'ok');
  assert.deepEqual(deps.time.sleeps, [2000]);
  assert.equal(rx.requests.length, 2);
  await s.close({ staleMarkers: false });
});

void test('remote write does not retry a 400, counts the samples as failed and reports dropped', async () => {
  const rx = await receiver();
  rx.script({ status: 400, body: 'out of bounds' });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, retry: FAST_RETRY }, deps);
  const r = await s.send(payload(1, { a: 1, b: 2 }));
  assert.equal(r.outcome, 'dropped');
  assert.equal(r.droppedSamples, 2);
  assert.equal(r.attempts, 1);
  assert.equal(rx.requests.length, 1);
  assert.equal(s.stats().samplesFailedTotal, 2);
  assert.equal(s.stats().queueBatches, 0);
  assert.match(deps.logger.text(), /out of bounds/);
  await s.close({ staleMarkers: false });
});

void test('remote write aborts a request to a hung receiver at the timeout and keeps the batch queued', async () => {
  const rx = await receiver();
  rx.setDefault({ status: 204, hang: true });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, timeout: '200ms', retry: { ...FAST_RETRY, max_retries: 0 } }, deps);
  const started = performance.now();
  const r = await s.send(payload(1, { a: 1 }));
  const elapsedMs = performance.now() - started;
  assert.equal(r.outcome, 'failed');
  assert.match(r.error ?? '', /timed out after 200ms/);
  assert.equal(r.pendingBatches, 1);
  assert.ok(elapsedMs >= 150 && elapsedMs < 2000, `elapsed ${elapsedMs}ms`);
  rx.setDefault({ status: 204 });
  deps.time.advance(60_000);
  const r2 = await s.send(payload(2, { a: 2 }));
  assert.equal(r2.outcome, 'ok');
  assert.deepEqual(
    rx.requests.slice(1).map((q) => summary(q).join(',')),
    ['a=1@15', 'a=2@30'],
  );
  await s.close({ staleMarkers: false });
});

void test('remote write keeps an outage of several cycles queued and re-sends it in order afterwards', async () => {
  const rx = await receiver();
  rx.setDefault({ status: 503 });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, retry: { ...FAST_RETRY, max_retries: 0 } }, deps);
  for (let cycle = 1; cycle <= 3; cycle++) {
    const r = await s.send(payload(cycle, { a: cycle }));
    assert.equal(r.outcome, 'failed');
    deps.time.advance(15_000);
  }
  assert.equal(s.stats().queueBatches, 3);
  rx.setDefault({ status: 204 });
  const r = await s.send(payload(4, { a: 4 }));
  assert.equal(r.outcome, 'ok');
  assert.equal(r.deliveredSamples, 4);
  const accepted = rx.requests.filter((_, i) => i >= 3).map((q) => summary(q).join(','));
  assert.deepEqual(accepted, ['a=1@15', 'a=2@30', 'a=3@45', 'a=4@60']);
  await s.close({ staleMarkers: false });
});

void test('remote write drops the oldest queued batch when the queue is full and counts it', async () => {
  const rx = await receiver();
  rx.setDefault({ status: 503 });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, retry: { ...FAST_RETRY, max_retries: 0 }, queue: { max_batches: 2 } }, deps);
  await s.send(payload(1, { a: 1 }));
  deps.time.advance(15_000);
  await s.send(payload(2, { a: 2 }));
  deps.time.advance(15_000);
  const r3 = await s.send(payload(3, { a: 3 }));
  assert.equal(r3.outcome, 'dropped');
  assert.equal(r3.droppedSamples, 1);
  assert.equal(s.stats().samplesDroppedTotal, 1);
  rx.setDefault({ status: 204 });
  deps.time.advance(15_000);
  await s.send(payload(4, { a: 4 }));
  const accepted = rx.requests.filter((q, i) => i >= 3 && q.body.length > 0).map((q) => summary(q).join(','));
  assert.deepEqual(accepted, ['a=3@45', 'a=4@60']); // the oldest (cycle 1 and then 2) were evicted
  await s.close({ staleMarkers: false });
});

void test('remote write sends bit-exact stale markers for vanished series and for every series on close', async () => {
  const rx = await receiver();
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w` }, deps);
  await s.send(payload(1, { a: 1, b: 2 }));
  const r2 = await s.send(payload(2, { a: 3 }));
  assert.equal(r2.samples, 2);
  const closed = await s.close({ timestampMs: T0 + 40_000 });
  assert.equal(closed.outcome, 'ok');
  assert.equal(closed.samples, 1);
  assert.deepEqual(summary(rx.requests[1]), ['a=3@30', 'b=STALE@30']);
  assert.deepEqual(summary(rx.requests[2]), ['a=STALE@40']);
  const staleSample = decoded(rx.requests[1]).timeseries[1]?.samples[0];
  assert.equal(staleSample?.valueHex, '020000000000f07f');
  // A send after close is refused without a request.
  const late = await s.send(payload(3, { a: 1 }));
  assert.equal(late.outcome, 'dropped');
  assert.equal(rx.requests.length, 3);
});

void test('remote write splits batches at max_samples_per_send and sends them in order', async () => {
  const rx = await receiver();
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, max_samples_per_send: 2000 }, deps);
  const groups: Record<string, number> = {};
  for (let i = 0; i < 5000; i++) groups[`g${String(i).padStart(4, '0')}`] = i;
  const r = await s.send(payload(1, groups));
  assert.equal(r.outcome, 'ok');
  assert.deepEqual(
    rx.requests.map((q) => decoded(q).timeseries.length),
    [2000, 2000, 1000],
  );
  const order = rx.requests.flatMap((q) => decoded(q).timeseries.map((t) => labelsOf(t)['groupname']));
  assert.deepEqual(order, Object.keys(groups));
  await s.close({ staleMarkers: false });
});

void test('remote write halves a batch the receiver answers with 413', async () => {
  const rx = await receiver();
  rx.script({ status: 413, body: 'request entity too large' });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w` }, deps);
  const r = await s.send(payload(1, { a: 1, b: 2, c: 3 }));
  assert.equal(r.outcome, 'ok');
  assert.deepEqual(
    rx.requests.map((q) => summary(q).join(',')),
    ['a=1@15,b=2@15,c=3@15', 'a=1@15,b=2@15', 'c=3@15'],
  );
  await s.close({ staleMarkers: false });
});

void test('remote write logs a huge error body truncated', async () => {
  const rx = await receiver();
  rx.script({ status: 400, body: 'E'.repeat(1_000_000) });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w` }, deps);
  await s.send(payload(1, { a: 1 }));
  const text = deps.logger.text();
  assert.ok(text.length < 5000, `log is ${text.length} characters`);
  assert.match(text, /more characters/);
  await s.close({ staleMarkers: false });
});

void test('two sinks, one down: the healthy one receives every payload without waiting for the other', async () => {
  const good = await receiver();
  const bad = await receiver();
  bad.setDefault({ status: 204, hang: true });
  const depsGood = createTestSinkDeps();
  const depsBad = createTestSinkDeps();
  const sGood = sink({ type: 'remote_write', name: 'good', url: `${good.url}/w` }, depsGood);
  const sBad = sink({ type: 'remote_write', name: 'bad', url: `${bad.url}/w`, timeout: '800ms', retry: { ...FAST_RETRY, max_retries: 0 } }, depsBad);
  for (let cycle = 1; cycle <= 4; cycle++) {
    const settled: string[] = [];
    const [rg, rb] = await Promise.all([
      sGood.send(payload(cycle, { a: cycle })).then((r) => {
        settled.push('good');
        return r;
      }),
      sBad.send(payload(cycle, { a: cycle })).then((r) => {
        settled.push('bad');
        return r;
      }),
    ]);
    assert.equal(rg.outcome, 'ok');
    assert.equal(rb.outcome, 'failed');
    // The healthy sink is done long before the hung request of the other one times out.
    assert.deepEqual(settled, ['good', 'bad']);
    depsBad.time.advance(60_000);
  }
  assert.deepEqual(
    good.requests.map((q) => summary(q).join(',')),
    ['a=1@15', 'a=2@30', 'a=3@45', 'a=4@60'],
  );
  assert.equal(sBad.stats().queueBatches, 4);
  // The other receiver comes back: its backlog arrives in order.
  bad.setDefault({ status: 204 });
  const r5 = await sBad.send(payload(5, { a: 5 }));
  assert.equal(r5.outcome, 'ok');
  assert.deepEqual(
    bad.requests.slice(4).map((q) => summary(q).join(',')),
    ['a=1@15', 'a=2@30', 'a=3@45', 'a=4@60', 'a=5@75'],
  );
  await Promise.all([sGood.close({ staleMarkers: false }), sBad.close({ staleMarkers: false })]);
});

void test('pushgateway PUTs text exposition without timestamps to the base64 group path', async () => {
  const rx = await receiver();
  rx.setDefault({ status: 200 });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'pushgateway', url: rx.url, basic_auth: { username: 'pg', password: 'pgpass' } }, deps);
  const r = await s.send(payload(1, { nginx: 4 }));
  assert.equal(r.outcome, 'ok');
  const req = rx.requests[0];
  assert.ok(req);
  assert.equal(req.method, 'PUT');
  assert.equal(req.path, '/metrics/job@base64/cHJvY3B1c2g/instance@base64/bm9kZS0x');
  assert.equal(req.headers['content-type'], 'text/plain; version=0.0.4');
  assert.equal(req.headers.authorization, `Basic ${Buffer.from('pg:pgpass').toString('base64')}`);
  assert.equal(
    req.body.toString('utf8'),
    '# HELP namedprocess_namegroup_num_procs number of processes in this group\n' +
      '# TYPE namedprocess_namegroup_num_procs gauge\n' +
      'namedprocess_namegroup_num_procs{groupname="nginx",ip="10.0.0.7",node="node-1"} 4\n',
  );
  await s.close();
});

void test('pushgateway does not retry a 400 and never follows a redirect', async () => {
  const rx = await receiver();
  rx.script({ status: 400, body: 'pushed metrics must not have timestamps' }, { status: 301, headers: { Location: '/elsewhere' } });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'pushgateway', url: rx.url, retry: FAST_RETRY }, deps);
  const r1 = await s.send(payload(1, { a: 1 }));
  assert.equal(r1.outcome, 'dropped');
  assert.equal(r1.status, 400);
  const r2 = await s.send(payload(2, { a: 1 }));
  assert.equal(r2.outcome, 'dropped');
  assert.match(r2.error ?? '', /redirect.*URL is wrong/);
  assert.equal(rx.requests.length, 2);
  assert.match(deps.logger.text(), /elsewhere/);
  await s.close();
});

void test('pushgateway retries a 503 and a pending snapshot is replaced by the newer one', async () => {
  const rx = await receiver();
  rx.setDefault({ status: 503 });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'pushgateway', url: rx.url, retry: { ...FAST_RETRY, max_retries: 1 } }, deps);
  const r1 = await s.send(payload(1, { a: 1 }));
  assert.equal(r1.outcome, 'failed');
  assert.equal(rx.requests.length, 2);
  rx.setDefault({ status: 200 });
  deps.time.advance(15_000);
  const r2 = await s.send(payload(2, { a: 2 }));
  assert.equal(r2.outcome, 'ok');
  assert.equal(rx.requests.length, 3);
  assert.match(rx.requests[2]?.body.toString('utf8') ?? '', /\} 2\n$/);
  assert.equal(s.stats().batchesSupersededTotal, 1);
  await s.close();
});

void test('pushgateway deletes its group on close when delete_on_shutdown is set', async () => {
  const rx = await receiver();
  rx.script({ status: 200 }, { status: 202 });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'pushgateway', url: rx.url, job: 'batch/job', delete_on_shutdown: true }, deps);
  await s.send(payload(1, { a: 1 }));
  const r = await s.close();
  assert.equal(r.outcome, 'ok');
  assert.deepEqual(
    rx.requests.map((q) => `${q.method} ${q.path} ${q.body.length}`),
    [
      'PUT /metrics/job@base64/YmF0Y2gvam9i/instance@base64/bm9kZS0x ' + String(rx.requests[0]?.body.length),
      'DELETE /metrics/job@base64/YmF0Y2gvam9i/instance@base64/bm9kZS0x 0',
    ],
  );
});

void test('a sink never throws: a refused connection becomes a failed report', async () => {
  const rx = await receiver();
  const url = `${rx.url}/w`;
  await rx.close();
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url, retry: { ...FAST_RETRY, max_retries: 1 } }, deps);
  const r = await s.send(payload(1, { a: 1 }));
  assert.equal(r.outcome, 'failed');
  assert.match(r.error ?? '', /ECONNREFUSED/);
  assert.equal(r.attempts, 2);
  const c = await s.close({ deadlineMs: deps.time.nowMs() + 1000 });
  assert.equal(c.outcome, 'dropped');
});

void test('remote write calls that pile up behind a hung receiver stay bounded by the queue and keep their order', async () => {
  const rx = await receiver();
  rx.setDefault({ status: 204, hang: true });
  const deps = createTestSinkDeps();
  const s = sink({ type: 'remote_write', url: `${rx.url}/w`, timeout: '300ms', retry: { ...FAST_RETRY, max_retries: 0 }, queue: { max_batches: 3 } }, deps);
  // Six cycles fired without waiting for each other, as a scheduler that never waits for pushes does.
  const reports = Promise.all([1, 2, 3, 4, 5, 6].map((cycle) => s.send(payload(cycle, { a: cycle }))));
  assert.equal(s.stats().queueBatches, 3); // max_batches, the batch on the wire included
  for (let i = 0; i < 200 && rx.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(rx.requests.length, 1); // the oldest batch kept (cycle 4) is on the wire and hangs
  rx.setDefault({ status: 204 }); // the receiver recovers while it hangs
  const all = await reports;
  assert.equal(all.filter((r) => r.outcome === 'dropped').length, 3);
  const last = await s.send(payload(7, { a: 7 }));
  assert.equal(last.outcome, 'ok');
  const delivered = rx.requests.slice(1).map((q) => summary(q).join(','));
  // All six were queued before the first request left: 1, 2 and 3 were evicted, the rest arrive in order.
  assert.deepEqual(delivered, ['a=4@60', 'a=5@75', 'a=6@90', 'a=7@105']);
  assert.equal(s.stats().samplesDroppedTotal, 3);
  await s.close({ staleMarkers: false });
});
