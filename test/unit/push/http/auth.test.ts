import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mergeHeaders, resolveAuth, REMOTE_WRITE_RESERVED_HEADERS } from '../../../../src/push/http/auth.js';
import { err, ok } from '../../../../src/base/result.js';

const files: Record<string, string> = { '/run/secrets/pw': 'file-password\n', '/run/secrets/token': '  tok-123  \n', '/empty': '\n' };
const readTextFile = (path: string) => {
  const v = files[path];
  return v === undefined ? err(`ENOENT: no such file or directory, open '${path}'`) : ok(v);
};

void test('resolveAuth builds a Basic header from an inline password', () => {
  const r = resolveAuth({ kind: 'basic', username: 'user', password: { inline: 'pa:ss' } }, readTextFile);
  assert.ok(r.ok);
  assert.equal(r.value.authorization, `Basic ${Buffer.from('user:pa:ss').toString('base64')}`);
  assert.ok(r.value.secrets.includes('pa:ss'));
});

void test('resolveAuth reads password_file and trims it', () => {
  const r = resolveAuth({ kind: 'basic', username: 'u', password: { file: '/run/secrets/pw' } }, readTextFile);
  assert.ok(r.ok);
  assert.equal(r.value.authorization, `Basic ${Buffer.from('u:file-password').toString('base64')}`);
});

void test('resolveAuth builds a Bearer header from a token file', () => {
  const r = resolveAuth({ kind: 'bearer', token: { file: '/run/secrets/token' } }, readTextFile);
  assert.deepEqual(r, { ok: true, value: { authorization: 'Bearer tok-123', secrets: ['tok-123'] } });
});

void test('resolveAuth reports a missing or empty secret file by path only', () => {
  const missing = resolveAuth({ kind: 'bearer', token: { file: '/nope' } }, readTextFile);
  assert.equal(missing.ok, false);
  assert.match(missing.error, /bearer_token_file.*\/nope/);
  const empty = resolveAuth({ kind: 'bearer', token: { file: '/empty' } }, readTextFile);
  assert.equal(empty.ok, false);
});

void test('mergeHeaders never lets user headers override reserved headers or configured credentials', () => {
  const h = mergeHeaders({
    user: {
      'X-Scope-OrgID': 'tenant-1',
      'content-type': 'text/plain',
      'USER-AGENT': 'evil',
      authorization: 'Bearer user-set',
      'x-prometheus-remote-write-version': '2.0.0',
    },
    authorization: 'Basic abc',
    reserved: { 'User-Agent': 'procpush/1.0.0', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
    reservedNames: REMOTE_WRITE_RESERVED_HEADERS,
  });
  assert.deepEqual(h, {
    'X-Scope-OrgID': 'tenant-1',
    Authorization: 'Basic abc',
    'User-Agent': 'procpush/1.0.0',
    'X-Prometheus-Remote-Write-Version': '0.1.0',
  });
});
