import assert from 'node:assert/strict';
import { test } from 'node:test';

import { redactSecrets, redactUrl, truncateForLog } from '../../../src/push/redact.js';

void test('redactUrl masks the password of the userinfo and secret-looking query values', () => {
  assert.equal(
    redactUrl('https://123456:glc_s3cr3t@prometheus.example/api/prom/push?api_key=k3y&extra_label=a'),
    'https://123456:xxxxx@prometheus.example/api/prom/push?api_key=xxxxx&extra_label=a',
  );
});

void test('redactUrl leaves a URL without credentials unchanged', () => {
  assert.equal(redactUrl('http://127.0.0.1:9090/api/v1/write'), 'http://127.0.0.1:9090/api/v1/write');
});

void test('redactUrl does not echo an unparsable URL', () => {
  assert.equal(redactUrl('http://user:pa ss@[bad'), '<invalid URL>');
});

void test('redactSecrets removes every occurrence of each secret', () => {
  assert.equal(
    redactSecrets('auth failed for hunter2 (Basic dXNlcjpodW50ZXIy), hunter2 again', ['hunter2', 'dXNlcjpodW50ZXIy']),
    'auth failed for <redacted> (Basic <redacted>), <redacted> again',
  );
});

void test('truncateForLog cuts long bodies and says how much was cut', () => {
  assert.equal(truncateForLog('abcdef', 4), 'abcd... (2 more characters)');
  assert.equal(truncateForLog('abc', 4), 'abc');
});
