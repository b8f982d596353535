/**
 * TLS options of the sinks against an HTTPS mock receiver on 127.0.0.1, with a throw-away CA, server
 * and client certificates made by the openssl CLI in a temp dir.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { createSink } from '../../src/push/create-sink.js';
import { sinkConfig, type SinkConfigInput } from '../helpers/sink-config.js';
import type { PushPayload, Sink } from '../../src/push/types.js';
import { createTestSinkDeps, startMockReceiver, type MockReceiver } from '../helpers/mock-receiver.js';

const OPENSSL = '/usr/bin/openssl';
const skip = existsSync(OPENSSL) ? false : 'openssl not installed';

interface Pki {
  readonly ca: string;
  readonly serverKey: string;
  readonly serverCert: string;
  readonly clientKey: string;
  readonly clientCert: string;
}

let dir = '';
let pki: Pki | undefined;
const receivers: MockReceiver[] = [];

function openssl(...args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: 'ignore', timeout: 20_000 });
}

function makePki(): Pki {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=procpush test CA');
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
    ['client', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=procpush test ${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.pem'), serverKey: read('server.key'), serverCert: read('server.pem'), clientKey: read('client.key'), clientCert: read('client.pem') };
}

before(() => {
  if (skip !== false) return;
  dir = mkdtempSync(join(tmpdir(), 'procpush-tls-'));
  pki = makePki();
});
after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function certs(): Pki {
  assert.ok(pki);
  return pki;
}

async function httpsReceiver(requireClientCert: boolean): Promise<MockReceiver> {
  const p = certs();
  const r = await startMockReceiver({ tls: { key: p.serverKey, cert: p.serverCert, ca: p.ca, requireClientCert } });
  receivers.push(r);
  return r;
}

const payload: PushPayload = {
  timestampMs: 1_700_000_000_000,
  extraLabels: [{ name: 'instance', value: 'tls-node' }],
  families: [{ name: 'm', help: '', type: 'gauge', samples: [{ labels: [], value: 1 }] }],
};

function sink(input: Partial<SinkConfigInput> & { url: string }): Sink {
  const p = certs();
  const deps = createTestSinkDeps({ files: { '/tls/ca.pem': p.ca, '/tls/client.pem': p.clientCert, '/tls/client.key': p.clientKey } });
  const s = createSink(sinkConfig({ type: 'remote_write', retry: { max_retries: 0 }, ...input }), deps);
  if (!s.ok) throw new Error(s.error);
  return s.value;
}

void test('remote write over HTTPS verifies the server against ca_file', { skip }, async () => {
  const rx = await httpsReceiver(false);
  const s = sink({ url: `${rx.url}/w`, tls_config: { ca_file: '/tls/ca.pem' } });
  assert.equal((await s.send(payload)).outcome, 'ok');
  assert.equal(rx.requests.length, 1);
  await s.close({ staleMarkers: false });
});

void test('remote write over HTTPS refuses an unknown CA, and insecure_skip_verify accepts it', { skip }, async () => {
  const rx = await httpsReceiver(false);
  const strict = sink({ url: `${rx.url}/w` });
  const r = await strict.send(payload);
  assert.equal(r.outcome, 'failed');
  assert.match(r.error ?? '', /certificate/i);
  assert.equal(rx.requests.length, 0);
  await strict.close({ staleMarkers: false, deadlineMs: 0 });
  const lax = sink({ url: `${rx.url}/w`, tls_config: { insecure_skip_verify: true } });
  assert.equal((await lax.send(payload)).outcome, 'ok');
  await lax.close({ staleMarkers: false });
});

void test('remote write presents the client certificate of cert_file and key_file', { skip }, async () => {
  const rx = await httpsReceiver(true);
  const without = sink({ url: `${rx.url}/w`, tls_config: { ca_file: '/tls/ca.pem' } });
  assert.equal((await without.send(payload)).outcome, 'failed');
  await without.close({ staleMarkers: false, deadlineMs: 0 });
  const withCert = sink({ url: `${rx.url}/w`, tls_config: { ca_file: '/tls/ca.pem', cert_file: '/tls/client.pem', key_file: '/tls/client.key' } });
  assert.equal((await withCert.send(payload)).outcome, 'ok');
  assert.equal(rx.requests.length, 1);
  await withCert.close({ staleMarkers: false });
});

void test('createSink reports an unreadable TLS file by name', { skip }, () => {
  const deps = createTestSinkDeps();
  const s = createSink(sinkConfig({ type: 'remote_write', url: 'https://127.0.0.1:1/w', tls_config: { ca_file: '/missing/ca.pem' } }), deps);
  assert.equal(s.ok, false);
  assert.match(s.error, /tls_config\.ca_file.*\/missing\/ca\.pem/);
});
