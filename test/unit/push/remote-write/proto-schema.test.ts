import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { findProtoDir, loadRemoteWriteWire } from '../../../../src/push/remote-write/proto-schema.js';

void test('loadRemoteWriteWire derives the remote write 1.0 field keys from proto/', () => {
  const w = loadRemoteWriteWire();
  assert.ok(w.ok, w.ok ? '' : w.error);
  assert.deepEqual(w.value, {
    writeRequestTimeseries: 0x0a,
    writeRequestMetadata: 0x1a,
    timeSeriesLabels: 0x0a,
    timeSeriesSamples: 0x12,
    labelName: 0x0a,
    labelValue: 0x12,
    sampleValue: 0x09,
    sampleTimestamp: 0x10,
    metadataType: 0x08,
    metadataFamilyName: 0x12,
    metadataHelp: 0x22,
    metadataUnit: 0x2a,
    metricTypes: { counter: 1, gauge: 2 },
  });
});

void test('loadRemoteWriteWire refuses a .proto whose field types the encoder cannot write', () => {
  const found = findProtoDir();
  assert.ok(found.ok);
  const dir = mkdtempSync(join(tmpdir(), 'procpush-proto-'));
  try {
    mkdirSync(join(dir, 'prometheus'));
    const types = readFileSync(join(found.value, 'prometheus', 'types.proto'), 'utf8').replace('double value    = 1;', 'float value    = 1;');
    writeFileSync(join(dir, 'prometheus', 'types.proto'), types);
    writeFileSync(join(dir, 'prometheus', 'remote.proto'), readFileSync(join(found.value, 'prometheus', 'remote.proto')));
    const w = loadRemoteWriteWire(dir);
    assert.equal(w.ok, false);
    assert.match(w.error, /Sample\.value is float, expected double/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('loadRemoteWriteWire reports a missing proto directory', () => {
  const w = loadRemoteWriteWire(join(tmpdir(), 'procpush-no-such-dir'));
  assert.equal(w.ok, false);
});
