/**
 * Remote write 1.0 sink: encode the cycle, add stale markers for vanished series, batch, queue, and
 * deliver the queue in order through the shared DeliveryQueue. Knows nothing of /proc or scheduling.
 */

import type { ClosableTransport, PushClock, Sleep } from '../deps.js';
import { DeliveryQueue, type Batch, type QueueLimits, type RetryOptions } from '../delivery-queue.js';
import { REMOTE_WRITE_RESERVED_HEADERS, type AuthConfig, type ReadTextFile } from '../http/auth.js';
import { redactUrl } from '../redact.js';
import { prepareStaticLabels } from '../series-labels.js';
import { buildReport, countSamples, crashReport, EMPTY_DRAIN, HeaderSource, SerialRunner } from '../sink-common.js';
import type { CloseOptions, PushLogger, PushPayload, SendOptions, SendReport, Sink, SinkStats } from '../types.js';
import {
  compressWriteRequest,
  encodeMetadataEntries,
  encodePayloadSeries,
  encodeTimeSeriesEntry,
  planBatches,
  type Chunk,
} from './encode-write-request.js';
import type { RemoteWriteWire } from './proto-schema.js';
import { StaleTracker, type TrackedSeries } from './stale-tracker.js';

/** Remote write 1.0 content headers (spec: MUST). */
export const REMOTE_WRITE_CONTENT_HEADERS: Readonly<Record<string, string>> = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
};
export const REMOTE_WRITE_VERSION = '0.1.0';

export interface RemoteWriteSinkOptions {
  readonly name: string;
  /** Without userinfo (the factory moves it to basic auth). */
  readonly url: URL;
  readonly userHeaders: Readonly<Record<string, string>>;
  readonly auth: AuthConfig;
  readonly timeoutMs: number;
  readonly sendDeadlineMs: number;
  readonly maxSamplesPerSend: number;
  /** Uncompressed protobuf bytes per request. */
  readonly maxBytesPerSend: number;
  readonly sendMetadata: boolean;
  readonly retry: RetryOptions;
  readonly queue: QueueLimits;
}

export interface RemoteWriteSinkDeps {
  readonly wire: RemoteWriteWire;
  readonly transport: ClosableTransport;
  readonly clock: PushClock;
  readonly sleep: Sleep;
  readonly random: () => number;
  readonly logger: PushLogger;
  readonly readTextFile: ReadTextFile;
  readonly version: string;
}

/** What queuing one payload produced, for its report. */
interface Queued {
  readonly samples: number;
  readonly droppedBeforeSend: number;
  readonly error?: string;
}

export function createRemoteWriteSink(options: RemoteWriteSinkOptions, deps: RemoteWriteSinkDeps): Sink {
  return new RemoteWriteSink(options, deps);
}

class RemoteWriteSink implements Sink {
  readonly name: string;
  readonly type = 'remote_write' as const;
  readonly target: string;
  readonly #options: RemoteWriteSinkOptions;
  readonly #deps: RemoteWriteSinkDeps;
  readonly #headers: HeaderSource;
  readonly #queue: DeliveryQueue;
  readonly #tracker = new StaleTracker();
  readonly #runner = new SerialRunner();
  readonly #validNames = new Set<string>();
  readonly #warnedRenames = new Set<string>();
  #lastInvalidReason: string | undefined;
  #lastTimestampMs = Number.NEGATIVE_INFINITY;
  #closed = false;
  /** Aborted by close(): cuts backoff waits of a send in progress short. */
  readonly #closing = new AbortController();

  constructor(options: RemoteWriteSinkOptions, deps: RemoteWriteSinkDeps) {
    this.name = options.name;
    this.target = redactUrl(options.url);
    this.#options = options;
    this.#deps = deps;
    this.#headers = new HeaderSource({
      userHeaders: options.userHeaders,
      auth: options.auth,
      readTextFile: deps.readTextFile,
      reserved: { 'User-Agent': `procpush/${deps.version}`, 'X-Prometheus-Remote-Write-Version': REMOTE_WRITE_VERSION },
      reservedNames: REMOTE_WRITE_RESERVED_HEADERS,
    });
    this.#queue = new DeliveryQueue(
      {
        sinkName: options.name,
        protocol: 'remote_write',
        requestTimeoutMs: options.timeoutMs,
        retry: options.retry,
        queue: options.queue,
        headers: () => this.#headers.headers(),
        secrets: () => this.#headers.secrets(),
      },
      { transport: deps.transport.request, clock: deps.clock, sleep: deps.sleep, random: deps.random, logger: deps.logger },
    );
  }

  stats(): SinkStats {
    return this.#queue.stats();
  }

  /**
   * Encodes and queues the payload at once (so memory stays bounded by the queue even if calls pile up
   * behind a slow receiver), then delivers the queue; deliveries of one sink never overlap.
   */
  send(payload: PushPayload, options: SendOptions = {}): Promise<SendReport> {
    const deadlineMs = Math.min(options.deadlineMs ?? Number.POSITIVE_INFINITY, this.#deps.clock.nowMs() + this.#options.sendDeadlineMs);
    if (this.#closed) {
      const samples = countSamples(payload.families);
      this.#queue.countDropped(samples);
      return Promise.resolve(buildReport({ samples, drain: EMPTY_DRAIN, droppedBeforeSend: samples, error: 'sink is closed' }));
    }
    let queued: Queued;
    try {
      queued = this.#enqueuePayload(payload);
    } catch (e) {
      return Promise.resolve(crashReport(e, this.#queue.length, this.#headers.secrets()));
    }
    return this.#runner.run(async () => {
      try {
        const drain = await this.#queue.drain({ deadlineMs, signal: this.#closing.signal });
        return buildReport({ ...queued, drain });
      } catch (e) {
        return crashReport(e, this.#queue.length, this.#headers.secrets());
      }
    });
  }

  close(options: CloseOptions = {}): Promise<SendReport> {
    if (this.#closed) {
      return Promise.resolve(buildReport({ samples: 0, drain: EMPTY_DRAIN, droppedBeforeSend: 0, error: 'already closed' }));
    }
    this.#closed = true;
    this.#closing.abort();
    return this.#runner.run(async () => {
      try {
        return await this.#close(options);
      } catch (e) {
        return crashReport(e, this.#queue.length, this.#headers.secrets());
      } finally {
        this.#deps.transport.close();
      }
    });
  }

  /** Encodes the cycle (values, stale markers, metadata), batches it and queues it. Synchronous. */
  #enqueuePayload(payload: PushPayload): Queued {
    const { logger } = this.#deps;
    if (payload.timestampMs <= this.#lastTimestampMs) {
      logger.warn(
        { sink: this.name, timestampMs: payload.timestampMs, previousTimestampMs: this.#lastTimestampMs },
        'payload timestamp is not after the previous one; the receiver will likely reject it as out of order',
      );
    }
    this.#lastTimestampMs = Math.max(this.#lastTimestampMs, payload.timestampMs);

    const statics = prepareStaticLabels(payload.extraLabels);
    if (!statics.ok) {
      const samples = countSamples(payload.families);
      this.#queue.countDropped(samples);
      logger.error({ sink: this.name, err: statics.error, droppedSamples: samples }, 'payload dropped');
      return { samples, droppedBeforeSend: samples, error: statics.error };
    }
    const encoded = encodePayloadSeries({
      wire: this.#deps.wire,
      families: payload.families,
      statics: statics.value,
      timestampMs: payload.timestampMs,
      validNameCache: this.#validNames,
    });
    let droppedBeforeSend = encoded.invalidCount;
    if (encoded.invalidCount > 0) {
      this.#queue.countDropped(encoded.invalidCount);
      const level = encoded.firstInvalidReason === this.#lastInvalidReason ? 'debug' : 'warn';
      this.#lastInvalidReason = encoded.firstInvalidReason;
      logger[level]({ sink: this.name, invalidSeries: encoded.invalidCount, first: encoded.firstInvalidReason }, 'invalid series not sent');
    }
    for (const name of encoded.renamedStatics) {
      if (this.#warnedRenames.has(name)) continue;
      this.#warnedRenames.add(name);
      logger.warn({ sink: this.name, label: name }, 'a static label has the name of a data label; sent as static_<name>');
    }

    const gone = this.#tracker.advance(encoded.series);
    const chunks: Chunk[] = [];
    if (this.#options.sendMetadata) {
      const metadata = encodeMetadataEntries(this.#deps.wire, payload.families);
      if (metadata.length > 0) chunks.push({ bytes: metadata, samples: 0 });
    }
    for (const s of encoded.series) chunks.push({ bytes: s.entry, samples: 1 });
    chunks.push(...this.#staleChunks(gone, payload.timestampMs));

    droppedBeforeSend += this.#queue.enqueue(this.#toBatches(chunks));
    return { samples: encoded.series.length + gone.length, droppedBeforeSend };
  }

  async #close(options: CloseOptions): Promise<SendReport> {
    const now = this.#deps.clock.nowMs();
    const deadlineMs = options.deadlineMs ?? now + this.#options.sendDeadlineMs;
    let samples = 0;
    if (options.staleMarkers !== false) {
      // The markers must be later than every sample already sent for their series.
      const timestampMs = Math.max(options.timestampMs ?? now, this.#lastTimestampMs + 1);
      const all = this.#tracker.takeAll();
      samples = all.length;
      this.#queue.enqueue(this.#toBatches(this.#staleChunks(all, timestampMs)));
    }
    const drain = await this.#queue.drain({ deadlineMs });
    const lost = this.#queue.dropAll();
    if (lost > 0) {
      this.#deps.logger.warn({ sink: this.name, droppedSamples: lost }, 'shutdown: samples still queued were dropped');
    }
    return buildReport({
      samples,
      drain,
      droppedBeforeSend: lost,
      ...(lost > 0 ? { error: 'shutdown deadline reached with samples queued' } : {}),
    });
  }

  #staleChunks(series: readonly TrackedSeries[], timestampMs: number): Chunk[] {
    return series.map((s) => ({
      bytes: encodeTimeSeriesEntry(this.#deps.wire, s.labels, [{ timestampMs, value: 0, stale: true }]),
      samples: 1,
    }));
  }

  #toBatches(chunks: readonly Chunk[]): Batch[] {
    return planBatches(chunks, { maxSamples: this.#options.maxSamplesPerSend, maxBytes: this.#options.maxBytesPerSend }).map(
      (c) => this.#toBatch(c),
    );
  }

  #toBatch(chunks: readonly Chunk[]): Batch {
    let samples = 0;
    let bytes = 0;
    for (const c of chunks) {
      samples += c.samples;
      bytes += c.bytes.length;
    }
    let body: Uint8Array | undefined;
    return {
      method: 'POST',
      url: this.#options.url,
      samples,
      bytes,
      contentHeaders: REMOTE_WRITE_CONTENT_HEADERS,
      body: () => (body ??= compressWriteRequest(chunks)),
      split: () => {
        if (chunks.length < 2) return undefined;
        const half = Math.ceil(chunks.length / 2);
        return [this.#toBatch(chunks.slice(0, half)), this.#toBatch(chunks.slice(half))];
      },
    };
  }
}
