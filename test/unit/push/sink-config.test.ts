import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sinkConfigSchema, sinksConfigSchema } from '../../../src/push/sink-config.js';

function issues(input: unknown): string {
  const r = sinkConfigSchema.safeParse(input);
  assert.equal(r.success, false, 'expected a config error');
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

void test('sinkConfigSchema fills the remote_write defaults in milliseconds and bytes', () => {
  const c = sinkConfigSchema.parse({ type: 'remote_write', url: 'http://127.0.0.1:9090/api/v1/write' });
  assert.deepEqual(c, {
    type: 'remote_write',
    name: 'remote_write:127.0.0.1:9090/api/v1/write',
    url: 'http://127.0.0.1:9090/api/v1/write',
    headers: {},
    auth: { kind: 'none' },
    timeoutMs: 10_000,
    sendDeadlineMs: 10_000,
    retry: { minBackoffMs: 500, maxBackoffMs: 30_000, maxRetries: 10, maxRetryAfterMs: 60_000 },
    maxSamplesPerSend: 2000,
    maxBytesPerSend: 1_048_576,
    sendMetadata: false,
    queue: { maxBatches: 10_000, maxBytes: 64 * 1_048_576, maxAgeMs: 3_600_000 },
  });
});

void test('sinkConfigSchema fills the pushgateway defaults', () => {
  const c = sinkConfigSchema.parse({ type: 'pushgateway', url: 'http://127.0.0.1:9091', grouping: { dc: 'eu' } });
  assert.equal(c.type, 'pushgateway');
  assert.equal(c.job, 'procpush');
  assert.equal(c.deleteOnShutdown, false);
  assert.deepEqual(c.grouping, [{ name: 'dc', value: 'eu' }]);
  assert.equal(c.name, 'pushgateway:127.0.0.1:9091');
});

void test('sinkConfigSchema reads durations, sizes, auth, TLS and retry settings', () => {
  const c = sinkConfigSchema.parse({
    type: 'remote_write',
    name: 'mimir',
    url: 'https://mimir.example/api/v1/push',
    headers: { 'X-Scope-OrgID': 'tenant-1' },
    basic_auth: { username: 'u', password_file: '/run/secrets/pw' },
    tls_config: { ca_file: '/etc/ca.pem', cert_file: '/etc/c.pem', key_file: '/etc/k.pem' },
    timeout: '5s',
    send_deadline: '12s',
    max_samples_per_send: 500,
    max_bytes_per_send: '512KiB',
    retry: { min_backoff: '250ms', max_backoff: '1m', max_retries: 3, max_retry_after: '2m' },
    queue: { max_batches: 20, max_bytes: 1000 },
  });
  assert.equal(c.type, 'remote_write');
  assert.deepEqual(c.auth, { kind: 'basic', username: 'u', password: { file: '/run/secrets/pw' } });
  assert.deepEqual(c.tls, { insecureSkipVerify: false, caFile: '/etc/ca.pem', certFile: '/etc/c.pem', keyFile: '/etc/k.pem' });
  assert.equal(c.timeoutMs, 5000);
  assert.equal(c.sendDeadlineMs, 12_000);
  assert.equal(c.maxBytesPerSend, 524_288);
  assert.deepEqual(c.retry, { minBackoffMs: 250, maxBackoffMs: 60_000, maxRetries: 3, maxRetryAfterMs: 120_000 });
  assert.deepEqual(c.queue, { maxBatches: 20, maxBytes: 1000, maxAgeMs: 3_600_000 });
});

void test('sinkConfigSchema maps bearer_token_file to a bearer file secret', () => {
  const c = sinkConfigSchema.parse({ type: 'remote_write', url: 'http://h/w', bearer_token_file: '/t' });
  assert.deepEqual(c.auth, { kind: 'bearer', token: { file: '/t' } });
});

void test('sinkConfigSchema rejects user headers that would override protocol headers', () => {
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', headers: { 'content-encoding': 'gzip' } }), /cannot be overridden/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', headers: { 'X-Prometheus-Remote-Write-Version': '2.0.0' } }), /cannot be overridden/);
  assert.match(issues({ type: 'pushgateway', url: 'http://h', headers: { 'User-Agent': 'x' } }), /cannot be overridden/);
  assert.match(
    issues({ type: 'remote_write', url: 'http://h/w', bearer_token: 't', headers: { Authorization: 'Basic x' } }),
    /cannot be overridden/,
  );
});

void test('sinkConfigSchema rejects conflicting or incomplete auth and TLS settings', () => {
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', bearer_token: 't', bearer_token_file: '/t' }), /at most one/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', basic_auth: { username: 'u' } }), /exactly one of password/);
  assert.match(
    issues({ type: 'remote_write', url: 'http://h/w', basic_auth: { username: 'u', password: 'p', password_file: '/p' } }),
    /exactly one of password/,
  );
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', tls_config: { cert_file: '/c' } }), /go together/);
  assert.match(issues({ type: 'remote_write', url: 'http://u:p@h/w', bearer_token: 't' }), /credentials in the URL/);
});

void test('sinkConfigSchema rejects bad URLs, durations, unknown keys and bad grouping labels', () => {
  assert.match(issues({ type: 'remote_write', url: 'ftp://h/w' }), /http:\/\/ or https:\/\//);
  const bad = issues({ type: 'remote_write', url: 'not a url with secret' });
  assert.match(bad, /not a valid URL/);
  assert.doesNotMatch(bad, /secret/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', timeout: '10' }), /invalid duration/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', max_sample_per_send: 10 }), /Unrecognized key/);
  assert.match(issues({ type: 'pushgateway', url: 'http://h', grouping: { 'bad-name': 'x' } }), /grouping label "bad-name"/);
  assert.match(issues({ type: 'pushgateway', url: 'http://h', grouping: { job: 'x' } }), /grouping label "job"/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', retry: { min_backoff: '10s', max_backoff: '1s' } }), /min_backoff <= max_backoff/);
  assert.match(issues({ type: 'kafka', url: 'http://h' }), /type/);
});

void test('sinksConfigSchema requires unique sink names', () => {
  const r = sinksConfigSchema.safeParse([
    { type: 'remote_write', url: 'http://h/w' },
    { type: 'remote_write', url: 'http://h/w' },
  ]);
  assert.equal(r.success, false);
  const named = sinksConfigSchema.safeParse([
    { type: 'remote_write', url: 'http://h/w', name: 'a' },
    { type: 'remote_write', url: 'http://h/w', name: 'b' },
  ]);
  assert.equal(named.success, true);
});
