import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';

import { parseSinkConfig, parseSinksConfig } from '../../../src/config/sinks.js';
import { sinkConfig } from '../../helpers/sink-config.js';
import { zodSinkSchema, zodSinksSchema } from '../../helpers/zod-sink-schema.js';

function issues(input: unknown): string {
  const r = parseSinkConfig(input);
  if (r.ok) assert.fail('expected a config error');
  return r.error.map((i) => `${i.field}: ${i.message}`).join('\n');
}

void test('the sink schema fills the remote_write defaults in milliseconds and bytes', () => {
  const c = sinkConfig({ type: 'remote_write', url: 'http://127.0.0.1:9090/api/v1/write' });
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

void test('the sink schema fills the pushgateway defaults', () => {
  const c = sinkConfig({ type: 'pushgateway', url: 'http://127.0.0.1:9091', grouping: { dc: 'eu' } });
  assert.equal(c.type, 'pushgateway');
  assert.equal(c.job, 'procpush');
  assert.equal(c.deleteOnShutdown, false);
  assert.deepEqual(c.grouping, [{ name: 'dc', value: 'eu' }]);
  assert.equal(c.name, 'pushgateway:127.0.0.1:9091');
});

void test('the sink schema reads durations, sizes, auth, TLS and retry settings', () => {
  const c = sinkConfig({
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

void test('the sink schema maps bearer_token_file to a bearer file secret', () => {
  const c = sinkConfig({ type: 'remote_write', url: 'http://h/w', bearer_token_file: '/t' });
  assert.deepEqual(c.auth, { kind: 'bearer', token: { file: '/t' } });
});

void test('the sink schema rejects user headers that would override protocol headers', () => {
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', headers: { 'content-encoding': 'gzip' } }), /cannot be overridden/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', headers: { 'X-Prometheus-Remote-Write-Version': '2.0.0' } }), /cannot be overridden/);
  assert.match(issues({ type: 'pushgateway', url: 'http://h', headers: { 'User-Agent': 'x' } }), /cannot be overridden/);
  assert.match(
    issues({ type: 'remote_write', url: 'http://h/w', bearer_token: 't', headers: { Authorization: 'Basic x' } }),
    /cannot be overridden/,
  );
});

void test('the sink schema rejects conflicting or incomplete auth and TLS settings', () => {
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', bearer_token: 't', bearer_token_file: '/t' }), /at most one/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', basic_auth: { username: 'u' } }), /exactly one of password/);
  assert.match(
    issues({ type: 'remote_write', url: 'http://h/w', basic_auth: { username: 'u', password: 'p', password_file: '/p' } }),
    /exactly one of password/,
  );
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', tls_config: { cert_file: '/c' } }), /go together/);
  assert.match(issues({ type: 'remote_write', url: 'http://u:p@h/w', bearer_token: 't' }), /credentials in the URL/);
});

void test('the sink schema rejects bad URLs, durations, unknown keys and bad grouping labels', () => {
  assert.match(issues({ type: 'remote_write', url: 'ftp://h/w' }), /http:\/\/ or https:\/\//);
  const bad = issues({ type: 'remote_write', url: 'not a url with secret' });
  assert.match(bad, /not a valid URL/);
  assert.doesNotMatch(bad, /secret/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', timeout: '10' }), /invalid duration/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', max_sample_per_send: 10 }), /unknown key "max_sample_per_send"/);
  assert.match(issues({ type: 'pushgateway', url: 'http://h', grouping: { 'bad-name': 'x' } }), /grouping label "bad-name"/);
  assert.match(issues({ type: 'pushgateway', url: 'http://h', grouping: { job: 'x' } }), /grouping label "job"/);
  assert.match(issues({ type: 'remote_write', url: 'http://h/w', retry: { min_backoff: '10s', max_backoff: '1s' } }), /min_backoff <= max_backoff/);
  assert.match(issues({ type: 'kafka', url: 'http://h' }), /type/);
});

void test('the sinks list requires unique sink names', () => {
  const r = parseSinksConfig([
    { type: 'remote_write', url: 'http://h/w' },
    { type: 'remote_write', url: 'http://h/w' },
  ]);
  assert.equal(r.ok, false);
  const named = parseSinksConfig([
    { type: 'remote_write', url: 'http://h/w', name: 'a' },
    { type: 'remote_write', url: 'http://h/w', name: 'b' },
  ]);
  assert.equal(named.ok, true);
});

/** A value of `valid` mostly, sometimes one of `invalid`. */
function mostly<T, U>(valid: readonly T[], invalid: readonly U[]): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...invalid) });
}

/** Sink inputs of every kind: valid and invalid values for every key, wrong types, both sink types. */
const sinkInput = (() => {
  const duration = mostly(['10s', '500ms', '0', '1m30s', '2h'], ['10', '', 'x', 5, null]);
  const size = mostly([1, 1000, '1MiB', '512KiB', '2MB'], ['huge', -1, 1.5, '', true]);
  const str = mostly(['a', '/etc/x'], ['', 5, null]);
  const bool = mostly([true, false], ['yes', 0]);
  const int = mostly([1, 3, 2000], [0, 1001, 1.5, -1, 'x']);
  const common = {
    url: mostly(['http://h/w', 'https://h:8443/api/v1/push', 'http://u:p@h/w'], ['ftp://h', 'not a url', 5]),
    name: mostly(['a', 'sink:1/x'], ['bad name', '', 7]),
    headers: fc.oneof({ weight: 9, arbitrary: fc.dictionary(mostly(['X-Scope-OrgID', 'Authorization'], ['bad name', 'content-type', 'User-Agent']), mostly(['v'], ['a\nb', 3])) }, { weight: 1, arbitrary: fc.constant('h') }),
    basic_auth: fc.oneof({ weight: 9, arbitrary: fc.record({ username: str, password: str, password_file: str }, { requiredKeys: [] }) }, { weight: 1, arbitrary: fc.constant('u') }),
    bearer_token: str,
    bearer_token_file: str,
    tls_config: fc.record({ ca_file: str, cert_file: str, key_file: str, insecure_skip_verify: bool }, { requiredKeys: [] }),
    timeout: duration,
    send_deadline: duration,
    retry: fc.oneof({ weight: 9, arbitrary: fc.record({ min_backoff: duration, max_backoff: duration, max_retries: int, max_retry_after: duration }, { requiredKeys: [] }) }, { weight: 1, arbitrary: fc.constant([]) }),
  };
  const remoteWrite = {
    max_samples_per_send: int,
    max_bytes_per_send: size,
    send_metadata: bool,
    queue: fc.record({ dir: str, max_batches: int, max_bytes: size, max_age: duration }, { requiredKeys: [] }),
  };
  const pushgateway = {
    job: str,
    grouping: fc.dictionary(mostly(['dc', 'instance'], ['job', 'bad-name', '__x']), mostly(['v'], [5])),
    delete_on_shutdown: bool,
  };
  return fc.oneof(
    fc.record({ type: mostly(['remote_write'], ['kafka', 5]), ...common, ...remoteWrite }, { requiredKeys: ['type', 'url'] }).chain((x) => fc.subarray(Object.keys(x)).map((keep) => pick(x, keep, ['type', 'url']))),
    fc.record({ type: mostly(['pushgateway'], ['kafka']), ...common, ...pushgateway }, { requiredKeys: ['type', 'url'] }).chain((x) => fc.subarray(Object.keys(x)).map((keep) => pick(x, keep, ['type', 'url']))),
    // A key of the other sink type, or none at all of the required ones.
    fc.record({ type: fc.constantFrom('remote_write', 'pushgateway'), url: common.url, job: str, queue: fc.constant({}) }, { requiredKeys: [] }),
  );
})();

/** `x` with only the keys in `keep` and `always`. */
function pick(x: Record<string, unknown>, keep: readonly string[], always: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(x).filter(([k]) => always.includes(k) || keep.includes(k)));
}

void test('the sink schema accepts exactly what the zod schema it replaced accepted, with the same configs', () => {
  fc.assert(
    fc.property(sinkInput, (input) => {
      const ours = parseSinkConfig(input);
      const theirs = zodSinkSchema.safeParse(input);
      assert.equal(ours.ok, theirs.success, JSON.stringify(input));
      if (ours.ok && theirs.success) assert.deepEqual(ours.value, theirs.data);
    }),
    { numRuns: 4000 },
  );
  // The generator reaches both verdicts and both types often.
  const sample = fc.sample(sinkInput, { numRuns: 2000, seed: 7 });
  const accepted = sample.filter((x) => parseSinkConfig(x).ok);
  assert.ok(accepted.length > 50, `${accepted.length} accepted`);
  assert.ok(accepted.some((x) => x.type === 'pushgateway') && accepted.some((x) => x.type === 'remote_write'));
});

void test('the sinks list accepts exactly what the zod schema accepted (unique names and queue directories)', () => {
  const small = fc.record({ type: fc.constant('remote_write'), url: fc.constantFrom('http://h/a', 'http://h/b'), name: fc.constantFrom('a', 'b'), queue: fc.record({ dir: fc.constantFrom('/q', '/q/', '/r') }) }, { requiredKeys: ['type', 'url'] });
  fc.assert(
    fc.property(fc.array(small, { maxLength: 3 }), (list) => {
      const ours = parseSinksConfig(list);
      const theirs = zodSinksSchema.safeParse(list);
      assert.equal(ours.ok, theirs.success, JSON.stringify(list));
      if (ours.ok && theirs.success) assert.deepEqual(ours.value, theirs.data);
    }),
    { numRuns: 500 },
  );
});
