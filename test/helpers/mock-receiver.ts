/**
 * Test harness for the push sinks:
 *  - a node:http receiver on 127.0.0.1:0 with a scripted response queue (status, headers, body, delay,
 *    hang) that records method, path, headers and raw body of every request;
 *  - an INDEPENDENT remote-write decoder (snappyjs + a protobufjs schema built here from JSON, not from
 *    proto/, plus a raw wire walk that returns each sample value's 8 bytes untouched);
 *  - fake clock/sleep/random and a capturing logger for SinkDeps.
 */

import * as http from 'node:http';
import * as https from 'node:https';

import protobuf from 'protobufjs';
import * as snappy from 'snappyjs';
import { z } from 'zod';

import type { SinkDeps } from '../../src/push/deps.js';
import { createNodeTransport } from '../../src/push/http/node-transport.js';
import type { PushLogger } from '../../src/push/types.js';
import { err, ok, type Result } from '../../src/base/result.js';

export interface ScriptedResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Wait this long (real ms, keep it small) before answering. */
  readonly delayMs?: number;
  /** Never answer; the connection stays open until the client gives up or the receiver closes. */
  readonly hang?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** Real time of arrival (performance.now()). */
  readonly receivedAtMs: number;
}

export interface MockReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Appends responses to the script; once it is empty, the default response is used. */
  script(...responses: ScriptedResponse[]): void;
  setDefault(response: ScriptedResponse): void;
  close(): Promise<void>;
}

export interface MockReceiverOptions {
  readonly defaultResponse?: ScriptedResponse;
  /** Serve HTTPS with this PEM key and certificate; `ca` + `requireClientCert` ask for a client certificate. */
  readonly tls?: { readonly key: string; readonly cert: string; readonly ca?: string; readonly requireClientCert?: boolean };
}

export async function startMockReceiver(options: MockReceiverOptions = {}): Promise<MockReceiver> {
  const queue: ScriptedResponse[] = [];
  const requests: RecordedRequest[] = [];
  let fallback: ScriptedResponse = options.defaultResponse ?? { status: 204 };
  const timers = new Set<NodeJS.Timeout>();

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        receivedAtMs: performance.now(),
      });
      const response = queue.shift() ?? fallback;
      if (response.hang === true) return;
      const answer = (): void => {
        res.writeHead(response.status, response.headers);
        res.end(response.body ?? '');
      };
      if (response.delayMs === undefined) {
        answer();
      } else {
        const t = setTimeout(() => {
          timers.delete(t);
          answer();
        }, response.delayMs);
        timers.add(t);
      }
    });
  };
  const tls = options.tls;
  const server =
    tls === undefined
      ? http.createServer(handler)
      : https.createServer(
          {
            key: tls.key,
            cert: tls.cert,
            ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
            requestCert: tls.requireClientCert === true,
            rejectUnauthorized: tls.requireClientCert === true,
          },
          handler,
        );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('mock receiver: no TCP address');
  const port = address.port;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests,
    script: (...responses) => queue.push(...responses),
    setDefault: (response) => {
      fallback = response;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Independent remote-write 1.0 decoding (field numbers from the spec, push-protocols.md §2.1).

const testSchema = protobuf.Root.fromJSON({
  nested: {
    t: {
      nested: {
        WriteRequest: {
          fields: {
            timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 },
            metadata: { rule: 'repeated', type: 'Metadata', id: 3 },
          },
        },
        TimeSeries: {
          fields: { labels: { rule: 'repeated', type: 'Label', id: 1 }, samples: { rule: 'repeated', type: 'Sample', id: 2 } },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
        Metadata: {
          fields: {
            type: { type: 'int32', id: 1 },
            metricFamilyName: { type: 'string', id: 2 },
            help: { type: 'string', id: 4 },
            unit: { type: 'string', id: 5 },
          },
        },
      },
    },
  },
});
const WriteRequestType = testSchema.lookupType('t.WriteRequest');

export interface DecodedSample {
  readonly value: number;
  readonly timestampMs: number;
  /** The 8 little-endian bytes of the value exactly as sent (never through a JS number). */
  readonly valueHex: string;
}
export interface DecodedSeries {
  readonly labels: readonly { readonly name: string; readonly value: string }[];
  readonly samples: readonly DecodedSample[];
}
export interface DecodedWriteRequest {
  readonly timeseries: readonly DecodedSeries[];
  readonly metadata: readonly { readonly type: number; readonly metricFamilyName: string; readonly help: string; readonly unit: string }[];
}

/** Any JS number, NaN and ±Inf included (z.number() rejects them). */
const anyNumber = z.custom<number>((v) => typeof v === 'number');
const decodedShape = z.object({
  timeseries: z.array(
    z.object({
      labels: z.array(z.object({ name: z.string(), value: z.string() })),
      samples: z.array(z.object({ value: anyNumber, timestamp: z.number() })),
    }),
  ),
  metadata: z.array(z.object({ type: z.number(), metricFamilyName: z.string(), help: z.string(), unit: z.string() })),
});

export const STALE_MARKER_HEX = '020000000000f07f';
const SNAPPY_FRAMED_MAGIC = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);

export function decodeRemoteWriteBody(body: Uint8Array): Result<DecodedWriteRequest, string> {
  if (Buffer.from(body.subarray(0, SNAPPY_FRAMED_MAGIC.length)).equals(SNAPPY_FRAMED_MAGIC)) return err('snappy framed format');
  let raw: Uint8Array;
  try {
    raw = snappy.uncompress(body, 64 * 1024 * 1024);
  } catch (e) {
    return err(`snappy: ${String(e)}`);
  }
  let obj: unknown;
  try {
    obj = WriteRequestType.toObject(WriteRequestType.decode(raw), { longs: Number, arrays: true, defaults: true });
  } catch (e) {
    return err(`protobuf: ${String(e)}`);
  }
  const valueBytes = rawSampleValues(raw);
  const checked = decodedShape.safeParse(obj);
  if (!checked.success) return err(`unexpected decoded shape: ${checked.error.message}`);
  const parsed = checked.data;
  let i = 0;
  const timeseries = parsed.timeseries.map((ts) => ({
    labels: ts.labels.map((l) => ({ name: l.name, value: l.value })),
    samples: ts.samples.map((s) => ({ value: s.value, timestampMs: s.timestamp, valueHex: valueBytes[i++] ?? '' })),
  }));
  return ok({ timeseries, metadata: parsed.metadata });
}

/** Walks the raw wire format and returns, in order, the hex of every Sample.value (field 1, wire type 1). */
function rawSampleValues(buf: Uint8Array): string[] {
  const out: string[] = [];
  const walk = (bytes: Uint8Array, level: 'request' | 'series' | 'sample'): void => {
    const r = protobuf.Reader.create(bytes);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (level === 'sample' && field === 1 && wireType === 1) {
        out.push(Buffer.from(bytes.subarray(r.pos, r.pos + 8)).toString('hex'));
        r.skip(8);
      } else if (wireType === 2 && ((level === 'request' && field === 1) || (level === 'series' && field === 2))) {
        walk(r.bytes(), level === 'request' ? 'series' : 'sample');
      } else {
        r.skipType(wireType);
      }
    }
  };
  walk(buf, 'request');
  return out;
}

/** The labels of a decoded series as an object, for readable assertions. */
export function labelsOf(series: DecodedSeries): Record<string, string> {
  return Object.fromEntries(series.labels.map((l) => [l.name, l.value]));
}

// ---------------------------------------------------------------------------------------------------
// Fake deps.

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string;
}

export interface CapturingLogger extends PushLogger {
  readonly entries: LogEntry[];
  /** All entries as one JSON string (to assert a secret appears nowhere). */
  text(): string;
}

export function createCapturingLogger(): CapturingLogger {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (obj: object, msg: string): void => {
      entries.push({ level, obj, msg });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), text: () => JSON.stringify(entries) };
}

export interface FakeTime {
  readonly nowMs: () => number;
  readonly advance: (ms: number) => void;
  /** Every sleep requested, in ms. */
  readonly sleeps: number[];
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A clock that only moves when told to or when someone sleeps (sleeps return at once). */
export function createFakeTime(startMs = 1_700_000_000_000): FakeTime {
  let now = startMs;
  const sleeps: number[] = [];
  return {
    nowMs: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleeps,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (signal?.aborted !== true) now += ms;
      await Promise.resolve();
    },
  };
}

export interface TestSinkDeps extends SinkDeps {
  readonly logger: CapturingLogger;
  readonly time: FakeTime;
}

/** SinkDeps with fake time, fixed randomness, a capturing logger, the real node:http transport and in-memory files. */
export function createTestSinkDeps(options: { readonly files?: Readonly<Record<string, string>>; readonly random?: () => number } = {}): TestSinkDeps {
  const time = createFakeTime();
  const files = options.files ?? {};
  const read = (path: string): Result<Buffer, string> => {
    const content = files[path];
    return content === undefined ? err(`ENOENT: no such file or directory, open '${path}'`) : ok(Buffer.from(content, 'utf8'));
  };
  return {
    time,
    logger: createCapturingLogger(),
    clock: { nowMs: time.nowMs },
    sleep: time.sleep,
    random: options.random ?? (() => 0.5),
    readTextFile: (path) => {
      const r = read(path);
      return r.ok ? ok(r.value.toString('utf8')) : r;
    },
    readBinaryFile: read,
    createTransport: (tls) => createNodeTransport(tls !== undefined ? { tls } : {}),
    version: '0.0.0-test',
  };
}
