/**
 * Remote write 1.0 sink: encode the cycle, add stale markers for vanished series, batch, queue, and
 * deliver the queue in order through the shared DeliveryQueue. Knows nothing of /proc or scheduling.
 *
 * With `queue.dir` the queue spills to disk (disk-queue.ts) instead of journalling: while the receiver
 * takes everything at once, batches stay in memory and nothing is written. Everything queued goes to
 * the directory (one file per batch, deleted once it is done) when an attempt fails, when a new cycle
 * finds batches still queued (they have waited an interval), and at shutdown; so a restart, even
 * `kill -9`, loses nothing that waited, and the next start sends what the directory holds before
 * anything new. A `kill -9` with a healthy receiver can lose the batch in flight. The directory is
 * taken lazily, at the first send: a sink that never sends (e.g. one a config reload builds and
 * discards) never touches it. Batches on disk are held in memory only while they are being sent.
 */

import { ok, err, type Result } from '../../base/result.js';
import type { QueueFs } from '../deps.js';
import type { Batch, QueueLimits, RetryOptions } from '../delivery-queue.js';
import { REMOTE_WRITE_RESERVED_HEADERS, type AuthConfig } from '../http/auth.js';
import { prepareStaticLabels } from '../series-labels.js';
import { buildReport, countSamples, EMPTY_DRAIN, SinkSkeleton, type Queued, type SinkSkeletonDeps } from '../sink-common.js';
import type { SinkMemory } from '../../collector/state-format.js';
import type { CloseOptions, PushPayload, SendReport, Sink } from '../types.js';
import {
  compressWriteRequest,
  encodeMetadataEntries,
  encodePayloadSeries,
  encodeTimeSeriesEntry,
  planBatches,
  type Chunk,
} from './encode-write-request.js';
import { QueueDir, type QueueFile } from './disk-queue.js';
import type { RemoteWriteWire } from './proto-schema.js';
import { StaleTracker, type TrackedSeries } from './stale-tracker.js';

/** Remote write 1.0 content headers (spec: MUST). */
export const REMOTE_WRITE_CONTENT_HEADERS: Readonly<Record<string, string>> = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
};
export const REMOTE_WRITE_VERSION = '0.1.0';

export interface RemoteWriteQueueOptions extends QueueLimits {
  /** Directory of the durable queue; undefined: the queue is in memory only. */
  readonly dir?: string;
}

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
  readonly queue: RemoteWriteQueueOptions;
}

export interface RemoteWriteSinkDeps extends SinkSkeletonDeps {
  readonly wire: RemoteWriteWire;
  /** Required when `queue.dir` is set. */
  readonly queueFs?: QueueFs;
}


/** `queue.dir` needs `deps.queueFs` (create-sink.ts checks); without it the queue stays in memory. */
export function createRemoteWriteSink(options: RemoteWriteSinkOptions, deps: RemoteWriteSinkDeps): Sink {
  return new RemoteWriteSink(options, deps);
}

/**
 * One queued remote-write batch: its chunks in memory, a file of the durable queue, or both. A batch
 * on disk keeps its chunks in memory only from `prepare` (just before an attempt) until `dropCache`.
 */
class RwBatch implements Batch {
  readonly method = 'POST' as const;
  readonly url: URL;
  readonly contentHeaders = REMOTE_WRITE_CONTENT_HEADERS;
  readonly samples: number;
  readonly bytes: number;
  /** Oldest sample. */
  readonly timestampMs: number;
  readonly maxTimestampMs: number;
  /** A write to the queue directory was tried (it is not tried twice, so disk order stays queue order). */
  persistTried = false;
  #chunks: readonly Chunk[] | undefined;
  #body: Uint8Array | undefined;
  #file: QueueFile | undefined;
  /** This batch's chunks within its file: all of them, or a part after a 413 split. */
  #range: readonly [number, number] = [0, 0];

  constructor(input: {
    readonly url: URL;
    readonly chunks: readonly Chunk[];
    readonly minTimestampMs: number;
    readonly maxTimestampMs: number;
    readonly file?: { readonly file: QueueFile; readonly range: readonly [number, number] };
    /** Keep the chunks in memory (false for a batch loaded from disk: read again when sent). */
    readonly cache: boolean;
  }) {
    let samples = 0;
    let bytes = 0;
    for (const c of input.chunks) {
      samples += c.samples;
      bytes += c.bytes.length;
    }
    this.url = input.url;
    this.samples = samples;
    this.bytes = bytes;
    this.timestampMs = input.minTimestampMs;
    this.maxTimestampMs = input.maxTimestampMs;
    if (input.cache) this.#chunks = input.chunks;
    if (input.file !== undefined) {
      this.#file = input.file.file;
      this.#range = input.file.range;
      this.persistTried = true;
    }
  }

  durable(): boolean {
    return this.#file !== undefined;
  }

  /** Writes the batch to the queue directory. On failure it stays in memory only (and is not written later). */
  persist(dir: QueueDir): Result<{ readonly recreated: boolean }, string> {
    this.persistTried = true;
    const chunks = this.#chunks;
    if (chunks === undefined || this.#file !== undefined) return ok({ recreated: false });
    const file = dir.append({ minTimestampMs: this.timestampMs, maxTimestampMs: this.maxTimestampMs, chunks });
    if (!file.ok) return file;
    this.#file = file.value.file;
    this.#range = [0, chunks.length];
    return ok({ recreated: file.value.recreated });
  }

  prepare(): Result<void, string> {
    if (this.#chunks !== undefined) return ok(undefined);
    const file = this.#file;
    if (file === undefined) return err('queued batch has lost its data'); // unreachable: a batch has chunks or a file
    const record = file.read();
    if (!record.ok) return err(`queue file ${file.path}: ${record.error.reason}`);
    const chunks = record.value.chunks.slice(this.#range[0], this.#range[1]);
    let samples = 0;
    for (const c of chunks) samples += c.samples;
    if (chunks.length !== this.#range[1] - this.#range[0] || samples !== this.samples) {
      return err(`queue file ${file.path}: changed since it was loaded`);
    }
    this.#chunks = chunks;
    return ok(undefined);
  }

  body(): Uint8Array {
    return (this.#body ??= compressWriteRequest(this.#chunks ?? []));
  }

  split(): readonly [Batch, Batch] | undefined {
    const chunks = this.#chunks;
    if (chunks === undefined || chunks.length < 2) return undefined;
    const half = Math.ceil(chunks.length / 2);
    const file = this.#file;
    const part = (from: number, to: number): RwBatch => {
      if (file !== undefined) file.retain();
      return new RwBatch({
        url: this.url,
        chunks: chunks.slice(from, to),
        minTimestampMs: this.timestampMs,
        maxTimestampMs: this.maxTimestampMs,
        cache: true,
        ...(file !== undefined ? { file: { file, range: [this.#range[0] + from, this.#range[0] + to] as const } } : {}),
      });
    };
    const halves = [part(0, half), part(half, chunks.length)] as const;
    // The halves hold the file now; this batch is gone without being settled.
    if (file !== undefined) file.release();
    this.#file = undefined;
    return halves;
  }

  settle(): void {
    this.#file?.release();
    this.#file = undefined;
    this.#chunks = undefined;
    this.#body = undefined;
  }

  /** Frees the memory of a batch that is on disk (it is read back at the next attempt). */
  dropCache(): void {
    this.#body = undefined;
    if (this.#file !== undefined) this.#chunks = undefined;
  }
}

type DiskState = 'none' | 'open' | 'busy' | 'unavailable';

/**
 * At shutdown, a sink with a queue directory (everything pending already on disk) tries the receiver
 * for at most this long, and stops at its first failure: SIGTERM during an outage exits within a second.
 */
const DURABLE_SHUTDOWN_TRY_MS = 500;

class RemoteWriteSink extends SinkSkeleton {
  readonly #options: RemoteWriteSinkOptions;
  readonly #deps: RemoteWriteSinkDeps;
  readonly #tracker = new StaleTracker();
  readonly #validNames = new Set<string>();
  readonly #warnedRenames = new Set<string>();
  /** The durable queue's directory, when `queue.dir` is set. */
  readonly #disk: QueueDir | undefined;
  /** The last problem with the directory that was logged (repeats go to debug). */
  #diskProblemLogged: string | undefined;
  #lastInvalidReason: string | undefined;
  #lastTimestampMs = Number.NEGATIVE_INFINITY;
  /** During the shutdown drain of a sink with a queue directory: aborted by the first failed attempt. */
  #stopAtFailure: AbortController | undefined;

  constructor(options: RemoteWriteSinkOptions, deps: RemoteWriteSinkDeps) {
    super(
      {
        type: 'remote_write',
        name: options.name,
        url: options.url,
        protocol: 'remote_write',
        userHeaders: options.userHeaders,
        auth: options.auth,
        reservedHeaders: { 'User-Agent': `procpush/${deps.version}`, 'X-Prometheus-Remote-Write-Version': REMOTE_WRITE_VERSION },
        reservedNames: REMOTE_WRITE_RESERVED_HEADERS,
        timeoutMs: options.timeoutMs,
        sendDeadlineMs: options.sendDeadlineMs,
        retry: options.retry,
        queue: options.queue,
        // A failed attempt puts everything queued on disk (and ends the shutdown's one try).
        onRetryableFailure: () => {
          this.#spill();
          this.#stopAtFailure?.abort();
        },
      },
      deps,
    );
    this.#options = options;
    this.#deps = deps;
    const dir = options.queue.dir;
    this.#disk =
      dir !== undefined && deps.queueFs !== undefined
        ? new QueueDir(dir, deps.queueFs, (path, error) => {
            deps.logger.warn({ sink: options.name, path, err: error }, 'cannot delete a queue file; it will be sent again after a restart');
          })
        : undefined;
  }

  /** Takes the queue directory first (once), then delivers the queue. */
  protected async deliver(queued: Queued, deadlineMs: number): Promise<SendReport> {
    const disk = await this.#openDisk(deadlineMs);
    if (disk.state === 'busy') {
      // Sending now could overtake older batches in that directory: wait for it.
      return buildReport({
        samples: queued.samples,
        droppedBeforeSend: queued.droppedBeforeSend,
        drain: { ...EMPTY_DRAIN, pendingBatches: this.queue.length },
        ...(disk.error !== undefined ? { error: disk.error } : {}),
      });
    }
    const drain = await this.queue.drain({ deadlineMs, signal: this.closing.signal });
    if (drain.pendingBatches > 0) this.#spill();
    this.#dropCaches();
    return buildReport({ ...queued, droppedBeforeSend: queued.droppedBeforeSend + disk.dropped, drain });
  }

  /** Whether what this sink has not delivered survives a restart (`queue.dir`). */
  get durable(): boolean {
    return this.#disk !== undefined;
  }

  memory(): SinkMemory {
    return { kind: 'remote_write', series: this.#tracker.labelSets() };
  }

  restoreMemory(memory: SinkMemory): void {
    if (memory.kind === 'remote_write') this.#tracker.restore(memory.series);
  }

  protected release(): void {
    this.#disk?.close();
  }

  /** Encodes the cycle (values, stale markers, metadata), batches it and queues it. Synchronous. */
  protected enqueue(payload: PushPayload): Queued {
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
      this.queue.countDropped(samples);
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
      this.queue.countDropped(encoded.invalidCount);
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

    droppedBeforeSend += this.#queueBatches(this.#toBatches(chunks, payload.timestampMs));
    return { samples: encoded.series.length + gone.length, droppedBeforeSend };
  }

  /**
   * Queues the batches. When batches are still queued (the receiver did not take the last ones at
   * once, or a backlog is being sent), everything queued goes to the directory at once.
   */
  #queueBatches(batches: readonly RwBatch[]): number {
    const backlog = this.queue.length > 0;
    const dropped = this.queue.enqueue(batches);
    if (backlog) this.#spill();
    return dropped;
  }

  /** Writes every queued batch not yet on disk to the directory (when it is open), in queue order. */
  #spill(): void {
    const disk = this.#disk;
    if (disk?.isOpen !== true) return;
    for (const b of this.queue.batches()) if (b instanceof RwBatch && !b.persistTried) this.#persist(b, disk);
  }

  #persist(batch: RwBatch, disk: QueueDir): void {
    const r = batch.persist(disk);
    if (!r.ok) this.#diskProblem('error', r.error, 'cannot write to the queue directory: the batch is kept in memory only (lost on restart)');
    else if (r.value.recreated) this.#deps.logger.warn({ sink: this.name, dir: disk.dir }, 'the queue directory was deleted while the agent ran: created again');
  }

  /**
   * Takes the queue directory at the first send (or after an earlier failure): loads what an earlier
   * run left, puts it in front of the queue, and writes the batches queued meanwhile after it.
   * `busy`: another sink of this process still holds the directory (a config reload): nothing is sent
   * yet, so nothing overtakes the older batches in it. `unavailable`: the directory cannot be used; the
   * queue works in memory and the directory is tried again at the next send.
   */
  async #openDisk(deadlineMs: number): Promise<{ readonly state: DiskState; readonly dropped: number; readonly error?: string }> {
    const disk = this.#disk;
    if (disk === undefined) return { state: 'none', dropped: 0 };
    if (disk.isOpen) return { state: 'open', dropped: 0 };
    const { clock, sleep, logger } = this.#deps;
    const r = await disk.open({ deadlineMs, nowMs: () => clock.nowMs(), sleep, signal: this.closing.signal });
    if (r === 'busy') {
      const error = `queue directory ${disk.dir} is held by another sink of this process; sending waits until it is released`;
      this.#diskProblem('warn', error, 'queue directory busy');
      return { state: 'busy', dropped: 0, error };
    }
    if (!r.ok) {
      this.#diskProblem('error', r.error, 'queue directory unusable: queuing in memory only (lost on restart); retried at the next send');
      return { state: 'unavailable', dropped: 0, error: r.error };
    }
    this.#diskProblemLogged = undefined;
    let dropped = 0;
    for (const c of r.value.corrupt) {
      logger.warn({ sink: this.name, file: c.name, reason: c.reason, droppedSamples: c.samples }, 'corrupt queue file deleted');
      this.queue.countDropped(c.samples);
      dropped += c.samples;
    }
    const junk = r.value.junk;
    if (junk.deleted.length > 0 || junk.ignored.length > 0) {
      logger.warn(
        { sink: this.name, dir: disk.dir, deleted: junk.deleted.slice(0, 10), ignored: junk.ignored.slice(0, 10), count: junk.deleted.length + junk.ignored.length },
        'the queue directory holds files procpush did not write: queue file names out of range deleted, other files left alone',
      );
    }
    const loaded = r.value.files.map(
      (f) =>
        new RwBatch({
          url: this.#options.url,
          chunks: f.record.chunks,
          minTimestampMs: f.record.minTimestampMs,
          maxTimestampMs: f.record.maxTimestampMs,
          file: { file: f.file, range: [0, f.record.chunks.length] },
          cache: false,
        }),
    );
    let loadedSamples = 0;
    let newest = Number.NEGATIVE_INFINITY;
    for (const b of loaded) {
      loadedSamples += b.samples;
      newest = Math.max(newest, b.maxTimestampMs);
    }
    const firstNew = this.queue.batches()[0];
    if (firstNew !== undefined && firstNew.timestampMs !== undefined && newest >= firstNew.timestampMs) {
      logger.warn(
        { sink: this.name, newestQueuedMs: newest, firstNewMs: firstNew.timestampMs },
        'the queue directory holds samples newer than this run\'s first cycle (did the clock go back?); the receiver may reject some as out of order',
      );
    }
    this.#lastTimestampMs = Math.max(this.#lastTimestampMs, newest);
    dropped += this.queue.restore(loaded);
    // Behind a backlog the new batches wait: they go to disk at once (a kill meanwhile loses nothing).
    if (loaded.length > 0) this.#spill();
    logger.info(
      { sink: this.name, dir: disk.dir, batches: loaded.length, samples: loadedSamples, tempFilesRemoved: r.value.tempFiles },
      loaded.length > 0 ? 'queue directory loaded: its batches are sent first' : 'queue directory opened',
    );
    return { state: 'open', dropped };
  }

  #diskProblem(level: 'warn' | 'error', error: string, msg: string): void {
    const key = `${msg}: ${error.replace(/\d{16}/g, 'N')}`; // the same problem with another file is a repeat
    const lvl = this.#diskProblemLogged === key ? 'debug' : level;
    this.#diskProblemLogged = key;
    this.#deps.logger[lvl]({ sink: this.name, dir: this.#options.queue.dir, err: error }, msg);
  }

  #dropCaches(): void {
    for (const b of this.queue.batches()) if (b instanceof RwBatch) b.dropCache();
  }

  protected async shutdown(options: CloseOptions, deadlineMs: number): Promise<SendReport> {
    const now = this.#deps.clock.nowMs();
    let samples = 0;
    if (options.staleMarkers !== false) {
      // The markers must be later than every sample already sent for their series.
      const timestampMs = Math.max(options.timestampMs ?? now, this.#lastTimestampMs + 1);
      const all = this.#tracker.takeAll();
      samples = all.length;
      this.#queueBatches(this.#toBatches(this.#staleChunks(all, timestampMs), timestampMs));
    }
    // A sink that queued nothing never takes its directory (e.g. one a reload built and discarded).
    let diskDropped = 0;
    if (this.queue.length > 0) diskDropped = (await this.#openDisk(deadlineMs)).dropped;
    if (this.#disk?.isOpen === true) {
      // Everything pending is on disk first; then one short try, which stops at the first failure:
      // what the receiver does not take at once is sent by the next start (`retire` keeps trying).
      this.#spill();
      const stop = new AbortController();
      if (options.untilDelivered !== true) this.#stopAtFailure = stop;
      const tryUntil = options.untilDelivered === true ? deadlineMs : Math.min(deadlineMs, now + DURABLE_SHUTDOWN_TRY_MS);
      const drain = await this.queue.drain({ deadlineMs: tryUntil, signal: stop.signal });
      this.#stopAtFailure = undefined;
      const left = this.queue.release();
      if (left.keptBatches > 0) {
        this.#deps.logger.info(
          { sink: this.name, dir: this.#disk.dir, batches: left.keptBatches, samples: left.keptSamples },
          'shutdown: undelivered batches kept in the queue directory for the next start',
        );
      }
      if (left.droppedSamples > 0) {
        this.#deps.logger.warn({ sink: this.name, droppedSamples: left.droppedSamples }, 'shutdown: samples queued in memory only were dropped');
      }
      const { error: drainError, ...drained } = drain;
      const kept = left.keptBatches > 0 ? `${left.keptBatches} batch(es) kept in ${this.#disk.dir} for the next start` : undefined;
      const error = [drainError === 'aborted' ? undefined : drainError, kept].filter((e) => e !== undefined).join('; ');
      return buildReport({ samples, drain: drained, droppedBeforeSend: left.droppedSamples + diskDropped, ...(error !== '' ? { error } : {}) });
    }
    const drain = await this.queue.drain({ deadlineMs });
    const lost = this.queue.dropAll();
    if (lost > 0) {
      this.#deps.logger.warn({ sink: this.name, droppedSamples: lost }, 'shutdown: samples still queued were dropped');
    }
    return buildReport({
      samples,
      drain,
      droppedBeforeSend: lost + diskDropped,
      ...(lost > 0 ? { error: 'shutdown deadline reached with samples queued' } : {}),
    });
  }

  #staleChunks(series: readonly TrackedSeries[], timestampMs: number): Chunk[] {
    return series.map((s) => ({
      bytes: encodeTimeSeriesEntry(this.#deps.wire, s.labels, [{ timestampMs, value: 0, stale: true }]),
      samples: 1,
    }));
  }

  #toBatches(chunks: readonly Chunk[], timestampMs: number): RwBatch[] {
    return planBatches(chunks, { maxSamples: this.#options.maxSamplesPerSend, maxBytes: this.#options.maxBytesPerSend }).map(
      (c) => new RwBatch({ url: this.#options.url, chunks: c, minTimestampMs: timestampMs, maxTimestampMs: timestampMs, cache: true }),
    );
  }
}
