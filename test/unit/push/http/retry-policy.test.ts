import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { HttpResult } from '../../../../src/push/http/http-types.js';
import {
  backoffMs,
  classifyHttpResult,
  parseRetryAfterMs,
  retryDelayMs,
  type ClassifyContext,
  type Verdict,
} from '../../../../src/push/http/retry-policy.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

function response(status: number, body = '', headers: Record<string, string> = {}): HttpResult {
  return { kind: 'response', status, headers: new Map(Object.entries(headers)), body, bodyTruncated: false };
}

const rw: ClassifyContext = { protocol: 'remote_write', resent: false, nowMs: NOW };
const rwResent: ClassifyContext = { ...rw, resent: true };
const pgw: ClassifyContext = { protocol: 'pushgateway', resent: false, nowMs: NOW };

const cases: readonly { name: string; result: HttpResult; ctx: ClassifyContext; kind: Verdict['kind'] }[] = [
  { name: '200 is ok', result: response(200), ctx: rw, kind: 'ok' },
  { name: '204 is ok', result: response(204), ctx: rw, kind: 'ok' },
  { name: '202 is ok for the Pushgateway', result: response(202), ctx: pgw, kind: 'ok' },
  { name: '500 is retried', result: response(500), ctx: rw, kind: 'retry' },
  { name: '502 is retried', result: response(502), ctx: rw, kind: 'retry' },
  { name: '503 is retried', result: response(503), ctx: pgw, kind: 'retry' },
  { name: '504 is retried', result: response(504), ctx: rw, kind: 'retry' },
  { name: '429 is retried', result: response(429), ctx: rw, kind: 'retry' },
  { name: '408 is retried', result: response(408), ctx: rw, kind: 'retry' },
  { name: '400 is fatal', result: response(400, 'bad'), ctx: rw, kind: 'fatal' },
  { name: '401 is fatal', result: response(401), ctx: rw, kind: 'fatal' },
  { name: '403 is fatal', result: response(403), ctx: rw, kind: 'fatal' },
  { name: '404 is fatal', result: response(404), ctx: rw, kind: 'fatal' },
  { name: '409 (Thanos conflict) is fatal', result: response(409), ctx: rw, kind: 'fatal' },
  { name: '413 splits for remote write', result: response(413), ctx: rw, kind: 'split' },
  { name: '413 is fatal for the Pushgateway', result: response(413), ctx: pgw, kind: 'fatal' },
  { name: '400 for the Pushgateway is fatal', result: response(400, 'pushed metrics must not have timestamps'), ctx: pgw, kind: 'fatal' },
  { name: '301 is fatal (never followed)', result: response(301, '', { location: '/x' }), ctx: pgw, kind: 'fatal' },
  { name: '307 is fatal (never followed)', result: response(307), ctx: rw, kind: 'fatal' },
  {
    name: '400 out of order on a first attempt is fatal',
    result: response(400, 'out of order sample'),
    ctx: rw,
    kind: 'fatal',
  },
  {
    name: '400 out of order after an attempt that may have arrived means already written',
    result: response(400, 'out of order sample'),
    ctx: rwResent,
    kind: 'already-written',
  },
  {
    name: '400 duplicate sample after a retry means already written',
    result: response(400, 'duplicate sample for timestamp'),
    ctx: rwResent,
    kind: 'already-written',
  },
  {
    name: '400 with another message after a retry is still fatal',
    result: response(400, 'label name "a" is not unique'),
    ctx: rwResent,
    kind: 'fatal',
  },
  {
    name: 'connection refused is retried',
    result: { kind: 'network-error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED', mayHaveReachedServer: false },
    ctx: rw,
    kind: 'retry',
  },
  { name: 'a timeout is retried', result: { kind: 'timeout', timeoutMs: 100 }, ctx: rw, kind: 'retry' },
  { name: 'a status outside 100..599 is retried', result: response(600), ctx: rw, kind: 'retry' },
];

for (const c of cases) {
  void test(`classifyHttpResult: ${c.name}`, () => {
    assert.equal(classifyHttpResult(c.result, c.ctx).kind, c.kind);
  });
}

void test('classifyHttpResult passes the Retry-After of a 429 along', () => {
  assert.deepEqual(classifyHttpResult(response(429, '', { 'retry-after': '2' }), rw), {
    kind: 'retry',
    reason: 'HTTP 429',
    retryAfterMs: 2000,
  });
});

void test('parseRetryAfterMs reads delay-seconds', () => {
  assert.equal(parseRetryAfterMs('2', NOW), 2000);
  assert.equal(parseRetryAfterMs(' 0 ', NOW), 0);
  assert.equal(parseRetryAfterMs('120', NOW), 120_000);
});

void test('parseRetryAfterMs reads an HTTP-date relative to now, and a past date as 0', () => {
  assert.equal(parseRetryAfterMs(new Date(NOW + 30_000).toUTCString(), NOW), 30_000);
  assert.equal(parseRetryAfterMs('Sat, 21 Nov 2026 12:00:05 GMT', NOW), 5000);
  assert.equal(parseRetryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', NOW), 0);
});

void test('parseRetryAfterMs ignores missing and unreadable values', () => {
  for (const v of [undefined, '', '-1', '1.5', 'soon', '2026-11-21T12:00:05Z']) {
    assert.equal(parseRetryAfterMs(v, NOW), undefined, String(v));
  }
});

void test('backoffMs grows exponentially, is capped, and is jittered over [0, ceiling)', () => {
  const opts = { minBackoffMs: 500, maxBackoffMs: 30_000 };
  const top = (failures: number): number => backoffMs({ ...opts, failures, random: () => 0.999999 });
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8, 100].map(top),
    [499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999],
  );
  assert.equal(backoffMs({ ...opts, failures: 5, random: () => 0 }), 0);
  assert.equal(backoffMs({ ...opts, failures: 3, random: () => 0.5 }), 1000);
});

void test('backoffMs stays within bounds for any random value', () => {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let failures = 1; failures <= 40; failures++) {
    const d = backoffMs({ failures, minBackoffMs: 250, maxBackoffMs: 10_000, random });
    assert.ok(d >= 0 && d < Math.min(10_000, 250 * 2 ** (failures - 1)), `${failures}: ${d}`);
  }
});

void test('retryDelayMs prefers Retry-After, capped, over the computed backoff', () => {
  const base = { failures: 1, minBackoffMs: 500, maxBackoffMs: 30_000, random: () => 0.5, maxRetryAfterMs: 60_000 };
  assert.equal(retryDelayMs({ ...base, retryAfterMs: 2000 }), 2000);
  assert.equal(retryDelayMs({ ...base, retryAfterMs: 3_600_000 }), 60_000);
  assert.equal(retryDelayMs(base), 250);
});
