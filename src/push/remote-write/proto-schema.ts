/**
 * Loads proto/prometheus/remote.proto (+ types.proto) with protobufjs reflection at startup and derives
 * the wire tags the encoder writes. The .proto files stay the single source of truth: if someone edits a
 * field number, the encoder follows; if they change a field to a type the encoder cannot write, sink
 * creation fails with a clear error instead of sending garbage.
 *
 * Why the encoder writes fields itself (through protobufjs' Writer) instead of `Type.encode(object)`:
 * a stale marker is the signalling NaN 0x7ff0000000000002, and V8 may quiet or canonicalise a NaN that
 * passes through a JS number (push-protocols.md §2.6). The encoder writes those 8 bytes directly, so the
 * marker never exists as a JS number.
 */

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';

import { describeError, err, ok, type Result } from '../../base/result.js';

/** Protobuf wire types (https://protobuf.dev/programming-guides/encoding/#structure). */
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;

/** Field keys (`field_number << 3 | wire_type`) of everything the encoder writes. */
export interface RemoteWriteWire {
  readonly writeRequestTimeseries: number;
  readonly writeRequestMetadata: number;
  readonly timeSeriesLabels: number;
  readonly timeSeriesSamples: number;
  readonly labelName: number;
  readonly labelValue: number;
  readonly sampleValue: number;
  readonly sampleTimestamp: number;
  readonly metadataType: number;
  readonly metadataFamilyName: number;
  readonly metadataHelp: number;
  readonly metadataUnit: number;
  /** MetricMetadata.MetricType enum values. */
  readonly metricTypes: { readonly counter: number; readonly gauge: number };
}

const REMOTE_PROTO = join('prometheus', 'remote.proto');

/** Finds the `proto/` directory by walking up from this module (works from src, build/src and dist). */
export function findProtoDir(fromUrl: string = import.meta.url): Result<string, string> {
  let dir = dirname(fileURLToPath(fromUrl));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, REMOTE_PROTO))) return ok(candidate);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return err(`cannot find proto/${REMOTE_PROTO} above ${fileURLToPath(fromUrl)}`);
}

export function loadRemoteWriteWire(protoDir?: string): Result<RemoteWriteWire, string> {
  let base: string;
  if (protoDir !== undefined) {
    base = protoDir;
  } else {
    const found = findProtoDir();
    if (!found.ok) return err(found.error);
    base = found.value;
  }
  let root: protobuf.Root;
  try {
    root = protobuf.loadSync(join(base, REMOTE_PROTO));
    root.resolveAll();
  } catch (e) {
    return err(`cannot load ${join(base, REMOTE_PROTO)}: ${describeError(e)}`);
  }
  try {
    const writeRequest = root.lookupType('prometheus.WriteRequest');
    const timeSeries = root.lookupType('prometheus.TimeSeries');
    const label = root.lookupType('prometheus.Label');
    const sample = root.lookupType('prometheus.Sample');
    const metadata = root.lookupType('prometheus.MetricMetadata');
    const metricType = root.lookupEnum('prometheus.MetricMetadata.MetricType');
    const counter = metricType.values['COUNTER'];
    const gauge = metricType.values['GAUGE'];
    if (counter === undefined || gauge === undefined) return err('MetricMetadata.MetricType lacks COUNTER or GAUGE');
    return ok({
      writeRequestTimeseries: key(writeRequest, 'timeseries', { type: 'TimeSeries', repeated: true }),
      writeRequestMetadata: key(writeRequest, 'metadata', { type: 'MetricMetadata', repeated: true }),
      timeSeriesLabels: key(timeSeries, 'labels', { type: 'Label', repeated: true }),
      timeSeriesSamples: key(timeSeries, 'samples', { type: 'Sample', repeated: true }),
      labelName: key(label, 'name', { type: 'string' }),
      labelValue: key(label, 'value', { type: 'string' }),
      sampleValue: key(sample, 'value', { type: 'double' }),
      sampleTimestamp: key(sample, 'timestamp', { type: 'int64' }),
      metadataType: key(metadata, 'type', { type: 'MetricType' }),
      metadataFamilyName: key(metadata, 'metric_family_name', { type: 'string' }),
      metadataHelp: key(metadata, 'help', { type: 'string' }),
      metadataUnit: key(metadata, 'unit', { type: 'string' }),
      metricTypes: { counter, gauge },
    });
  } catch (e) {
    return err(`${join(base, REMOTE_PROTO)} does not match what the encoder writes: ${describeError(e)}`);
  }
}

const WIRE_TYPE_OF: Readonly<Record<string, number>> = {
  string: WIRE_LEN,
  double: WIRE_I64,
  int64: WIRE_VARINT,
};

/** The field key of `type.fieldName`, after checking its declared type; throws (caught above) on a mismatch. */
function key(type: protobuf.Type, fieldName: string, expected: { readonly type: string; readonly repeated?: boolean }): number {
  const field = type.fields[fieldName] ?? type.fields[camel(fieldName)];
  if (field === undefined) throw new Error(`${type.name}.${fieldName} is missing`);
  const declared = field.resolvedType?.name ?? field.type;
  if (declared !== expected.type) throw new Error(`${type.name}.${fieldName} is ${field.type}, expected ${expected.type}`);
  if ((expected.repeated ?? false) !== field.repeated) {
    throw new Error(`${type.name}.${fieldName} must ${expected.repeated === true ? '' : 'not '}be repeated`);
  }
  const resolved = field.resolvedType;
  const wireType =
    resolved instanceof protobuf.Type ? WIRE_LEN : resolved instanceof protobuf.Enum ? WIRE_VARINT : WIRE_TYPE_OF[field.type];
  if (wireType === undefined) throw new Error(`${type.name}.${fieldName}: unsupported type ${field.type}`);
  return (field.id << 3) | wireType;
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
