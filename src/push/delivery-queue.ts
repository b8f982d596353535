/**
 * The part both sinks share: a bounded in-memory FIFO of ready-to-send batches, delivered strictly in
 * order (a batch is never overtaken, so the samples of a series always arrive in timestamp order), with
 * retries, backoff, Retry-After, an overall deadline and the per-sink counters. One instance per sink;
 * callers serialise `drain` calls.
 *
 * Storage is the batches' business: a batch may live on disk (`prepare` reads it back, `settle` deletes
 * it, `durable` says it survives a restart); the queue only tells it when it is about to be sent and
 * when it is gone for good. Bounds: `maxBatches`, `maxBytes` (oldest dropped first, never the batch in
 * flight, always keeping the newest) and `maxAgeMs` (batches whose oldest sample is older are dropped,
 * checked at every enqueue and before every attempt). Everything dropped is counted in
 * `samplesDroppedTotal`.
 */

import type { PushClock, Sleep } from './deps.js';
import type { HttpMethod, HttpResult, HttpTransport } from './http/http-types.js';
import { classifyHttpResult, retryDelayMs, type Protocol, type Verdict } from './http/retry-policy.js';
import { redactSecrets, redactUrl, truncateForLog } from './redact.js';
import { describeError, type Result } from '../base/result.js';
import type { PushLogger, SinkStats } from './types.js';

export interface Batch {
  readonly method: HttpMethod;
  readonly url: URL;
  /** Samples (series lines) it carries; 0 for a DELETE. */
  readonly samples: number;
  /** Size counted against the queue's byte cap. */
  readonly bytes: number;
  /** Headers describing the body (Content-Type, Content-Encoding...). */
  readonly contentHeaders: Readonly<Record<string, string>>;
  /** The body for one attempt (built lazily, e.g. compressed on demand). */
  body(): Uint8Array | undefined;
  /** On 413: two halves, or undefined when it cannot be split further. */
  split?(): readonly [Batch, Batch] | undefined;
  /** Oldest sample in the batch (ms since the epoch), for `maxAgeMs`; undefined: never too old. */
  readonly timestampMs?: number;
  /**
   * Called before each attempt (e.g. reads the batch back from disk). An error drops the batch: it is
   * logged and counted in `samplesDroppedTotal`.
   */
  prepare?(): Result<void, string>;
  /** Called once when the batch leaves the queue for good: delivered, rejected, evicted, expired or superseded. */
  settle?(): void;
  /** Whether the batch survives a restart (it is on disk). Default false. */
  durable?(): boolean;
}

export interface RetryOptions {
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Retries per drain (per send call) after the first attempt; the batch stays queued afterwards. */
  readonly maxRetries: number;
  readonly maxRetryAfterMs: number;
}

export interface QueueLimits {
  readonly maxBatches: number;
  readonly maxBytes: number;
  /** Batches whose oldest sample is older than this are dropped; Infinity: no limit. */
  readonly maxAgeMs: number;
}

/** What `release` did with the batches still queued at shutdown. */
export interface ReleaseReport {
  /** Samples left on disk for the next start. */
  readonly keptSamples: number;
  readonly keptBatches: number;
  /** Samples of memory-only batches, lost (and counted as dropped). */
  readonly droppedSamples: number;
}

export interface DeliveryOptions {
  readonly sinkName: string;
  readonly protocol: Protocol;
  readonly requestTimeoutMs: number;
  readonly retry: RetryOptions;
  readonly queue: QueueLimits;
  /** Headers for one attempt (credentials are read here); an error keeps the batch queued. */
  readonly headers: () => Result<Record<string, string>, string>;
  /** Strings to redact from anything logged or reported. */
  readonly secrets: () => readonly string[];
  /** Characters of a response body kept in a log line. Default 512. */
  readonly maxLoggedBodyChars?: number;
  /** Called after each attempt that failed with a retryable error (e.g. to spill the queue to disk). */
  readonly onRetryableFailure?: () => void;
}

export interface DeliveryDeps {
  readonly transport: HttpTransport;
  readonly clock: PushClock;
  readonly sleep: Sleep;
  readonly random: () => number;
  readonly logger: PushLogger;
}

export interface DrainReport {
  readonly deliveredSamples: number;
  readonly droppedSamples: number;
  /** Batches the receiver rejected for good (a DELETE carries no samples, so count batches too). */
  readonly rejectedBatches: number;
  readonly attempts: number;
  /** Batches still queued when the drain stopped. */
  readonly pendingBatches: number;
  readonly status?: number;
  readonly error?: string;
}

interface Entry {
  readonly batch: Batch;
  /** Attempts made so far, over all drains. */
  attempts: number;
  /** An attempt may have reached the receiver (so a 400 "out of order" can mean "already written"). */
  mayHaveReached: boolean;
}

type MutableStats = { -readonly [K in keyof SinkStats]: SinkStats[K] };

/** What one drain has done so far. */
interface DrainState {
  attempts: number;
  delivered: number;
  dropped: number;
  rejected: number;
  /** Retryable failures in this drain. */
  failures: number;
  status: number | undefined;
  /** Why data was given up in this drain (kept until the end). */
  fatalError: string | undefined;
  /** Why the queue is not empty (cleared by a later success). */
  error: string | undefined;
}

/** One attempt at the head batch: the receiver's verdict and what to log about it. */
interface Attempt {
  readonly verdict: Verdict;
  readonly status: number | undefined;
  readonly logFields: Record<string, unknown>;
}

export class DeliveryQueue {
  readonly #options: DeliveryOptions;
  readonly #deps: DeliveryDeps;
  readonly #entries: Entry[] = [];
  #queuedBytes = 0;
  /** No attempt before this time (backoff or Retry-After); survives across drains. */
  #notBeforeMs = 0;
  #consecutiveFailures = 0;
  /** The entry whose request is on the wire; enqueue/replaceAll never remove it. */
  #inFlight: Entry | undefined;
  /** The last fatal reason logged at error level; repeats are logged at debug until a success. */
  #lastFatalLogged: string | undefined;
  readonly #stats: MutableStats = {
    samplesSentTotal: 0,
    samplesFailedTotal: 0,
    samplesRetriedTotal: 0,
    samplesDroppedTotal: 0,
    batchesSupersededTotal: 0,
    requestsTotal: 0,
    lastSuccessTimestampMs: undefined,
    queueBatches: 0,
    queueSamples: 0,
  };

  constructor(options: DeliveryOptions, deps: DeliveryDeps) {
    this.#options = options;
    this.#deps = deps;
  }

  get length(): number {
    return this.#entries.length;
  }

  stats(): SinkStats {
    let samples = 0;
    for (const e of this.#entries) samples += e.batch.samples;
    return { ...this.#stats, queueBatches: this.#entries.length, queueSamples: samples };
  }

  /** Counts samples given up before they were queued (invalid series...). */
  countDropped(samples: number): void {
    this.#stats.samplesDroppedTotal += samples;
  }

  /** The queued batches, oldest first. */
  batches(): Batch[] {
    return this.#entries.map((e) => e.batch);
  }

  /**
   * Appends batches; then drops what is too old, and the oldest batches while the queue is over its
   * size limits (at least the newest one is always kept). Returns the number of samples dropped.
   */
  enqueue(batches: readonly Batch[]): number {
    for (const batch of batches) {
      this.#entries.push({ batch, attempts: 0, mayHaveReached: false });
      this.#queuedBytes += batch.bytes;
    }
    return this.#enforceBounds();
  }

  /**
   * Puts batches kept from an earlier run (loaded from disk) in front of everything queued, as they are
   * older. They count as possibly sent already: the run that wrote them may have delivered them just
   * before it died, so a 400 "out of order" for them means "already written". Call it between drains.
   * Returns the number of samples dropped by the bounds.
   */
  restore(batches: readonly Batch[]): number {
    const at = this.#entries[0] !== undefined && this.#entries[0] === this.#inFlight ? 1 : 0;
    this.#entries.splice(at, 0, ...batches.map((batch) => ({ batch, attempts: 0, mayHaveReached: true })));
    for (const b of batches) this.#queuedBytes += b.bytes;
    return this.#enforceBounds();
  }

  #enforceBounds(): number {
    let dropped = this.#expire();
    let evicted = 0;
    const { maxBatches, maxBytes } = this.#options.queue;
    while (this.#entries.length > 1 && (this.#entries.length > maxBatches || this.#queuedBytes > maxBytes)) {
      // The oldest batch not being sent right now (a request in flight finishes first).
      const victim = this.#entries[0] === this.#inFlight ? this.#entries[1] : this.#entries[0];
      if (victim === undefined || victim === this.#entries[this.#entries.length - 1]) break;
      this.#finish(victim);
      evicted += victim.batch.samples;
    }
    if (evicted > 0) {
      this.#stats.samplesDroppedTotal += evicted;
      this.#deps.logger.warn(
        { sink: this.#options.sinkName, droppedSamples: evicted, queueBatches: this.#entries.length },
        'push queue full: oldest batches dropped',
      );
      dropped += evicted;
    }
    return dropped;
  }

  /** Drops the batches older than `maxAgeMs` (oldest first; never the one in flight). Returns the samples dropped. */
  #expire(): number {
    const { maxAgeMs } = this.#options.queue;
    if (!Number.isFinite(maxAgeMs)) return 0;
    const cutoff = this.#deps.clock.nowMs() - maxAgeMs;
    let samples = 0;
    let batches = 0;
    for (const e of [...this.#entries]) {
      if (e === this.#inFlight) continue;
      const ts = e.batch.timestampMs;
      if (ts === undefined || ts >= cutoff) break; // the queue is in time order: the rest is newer
      this.#finish(e);
      samples += e.batch.samples;
      batches += 1;
    }
    if (batches > 0) {
      this.#stats.samplesDroppedTotal += samples;
      this.#deps.logger.warn(
        { sink: this.#options.sinkName, droppedSamples: samples, droppedBatches: batches, maxAgeMs },
        'push queue: batches older than queue.max_age dropped',
      );
    }
    return samples;
  }

  /**
   * Replaces everything queued by these batches (Pushgateway: only the newest snapshot matters).
   * A batch whose request is in flight stays; the new ones are sent after it.
   */
  replaceAll(batches: readonly Batch[]): void {
    for (const e of [...this.#entries]) {
      if (e === this.#inFlight) continue;
      this.#finish(e);
      this.#stats.batchesSupersededTotal += 1;
    }
    this.enqueue(batches);
  }

  /** Removes everything queued and counts it as dropped (shutdown). Returns the samples dropped. */
  dropAll(): number {
    let samples = 0;
    for (const e of [...this.#entries]) {
      this.#finish(e);
      samples += e.batch.samples;
    }
    this.#stats.samplesDroppedTotal += samples;
    return samples;
  }

  /**
   * Shutdown of a queue with durable batches: forgets everything queued; durable batches stay where
   * they are (on disk) for the next start, memory-only ones are lost and counted as dropped.
   */
  release(): ReleaseReport {
    let keptSamples = 0;
    let keptBatches = 0;
    let droppedSamples = 0;
    for (const e of [...this.#entries]) {
      if (e.batch.durable?.() === true) {
        this.#remove(e);
        keptSamples += e.batch.samples;
        keptBatches += 1;
      } else {
        this.#finish(e);
        droppedSamples += e.batch.samples;
      }
    }
    this.#stats.samplesDroppedTotal += droppedSamples;
    return { keptSamples, keptBatches, droppedSamples };
  }

  /**
   * Sends queued batches in order until the queue is empty, the deadline passes, the signal aborts, or
   * the head batch has failed `maxRetries + 1` times in this drain. Each pass makes one attempt
   * (`#attempt`) and applies its verdict (`#apply`). Never throws.
   */
  async drain(options: { readonly deadlineMs: number; readonly signal?: AbortSignal }): Promise<DrainReport> {
    const { clock, sleep, logger } = this.#deps;
    const d: DrainState = { attempts: 0, delivered: 0, dropped: 0, rejected: 0, failures: 0, status: undefined, fatalError: undefined, error: undefined };
    // Bounded: each pass removes a batch, counts a failure (at most maxRetries + 1), or returns.
    for (;;) {
      d.dropped += this.#expire();
      const entry = this.#entries[0];
      if (entry === undefined) break;
      if (isAborted(options.signal)) {
        d.error ??= 'aborted';
        break;
      }
      const waitMs = this.#notBeforeMs - clock.nowMs();
      if (waitMs > 0) {
        if (this.#notBeforeMs >= options.deadlineMs) {
          d.error ??= `next attempt not before ${new Date(this.#notBeforeMs).toISOString()} (backoff), after the send deadline`;
          break;
        }
        await sleep(waitMs, options.signal);
        if (isAborted(options.signal)) {
          d.error ??= 'aborted';
          break;
        }
        d.dropped += this.#expire(); // time passed: the head may have become too old
        if (this.#entries[0] !== entry) continue;
      }
      const remainingMs = options.deadlineMs - clock.nowMs();
      if (remainingMs <= 0) {
        d.error ??= 'send deadline reached';
        break;
      }
      const headers = this.#options.headers();
      if (!headers.ok) {
        d.error = this.#redact(headers.error);
        const level = this.#lastFatalLogged === d.error ? 'debug' : 'error';
        this.#lastFatalLogged = d.error;
        logger[level]({ sink: this.#options.sinkName, err: d.error }, 'push not attempted: cannot build request headers');
        break;
      }
      const prepared = prepareBatch(entry.batch);
      if (!prepared.ok) {
        this.#finish(entry);
        this.#stats.samplesDroppedTotal += entry.batch.samples;
        d.dropped += entry.batch.samples;
        d.fatalError = this.#redact(prepared.error);
        logger.error({ sink: this.#options.sinkName, droppedSamples: entry.batch.samples, err: d.fatalError }, 'queued batch unusable: dropped');
        continue;
      }
      const attempt = await this.#attempt(entry, headers.value, Math.min(this.#options.requestTimeoutMs, remainingMs), options.signal);
      d.attempts += 1;
      if (attempt.status !== undefined) d.status = attempt.status;
      if (this.#apply(entry, attempt, d) === 'give up') return this.#report(d, d.error);
    }
    return this.#report(d, d.error ?? d.fatalError);
  }

  /** One HTTP request for the head batch, classified. Counts the request; marks what may have reached the receiver. */
  async #attempt(entry: Entry, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal | undefined): Promise<Attempt> {
    const batch = entry.batch;
    entry.attempts += 1;
    const retryAttempt = entry.attempts - 1;
    const body = batch.body();
    const allHeaders: Record<string, string> = { ...headers, ...batch.contentHeaders };
    if (retryAttempt > 0) allHeaders['Retry-Attempt'] = String(retryAttempt);
    this.#stats.requestsTotal += 1;
    this.#inFlight = entry;
    let result: HttpResult;
    try {
      result = await this.#deps.transport({
        method: batch.method,
        url: batch.url,
        headers: allHeaders,
        ...(body !== undefined ? { body } : {}),
        timeoutMs,
        ...(signal !== undefined ? { signal } : {}),
      });
    } finally {
      this.#inFlight = undefined;
    }
    const verdict = classifyHttpResult(result, { protocol: this.#options.protocol, resent: entry.mayHaveReached, nowMs: this.#deps.clock.nowMs() });
    if (result.kind !== 'network-error' || result.mayHaveReachedServer) entry.mayHaveReached = true;
    return { verdict, status: result.kind === 'response' ? result.status : undefined, logFields: this.#logFields(batch, result, entry.attempts) };
  }

  /**
   * Applies an attempt's verdict to the queue, the counters, the backoff and the drain: delivered,
   * split in two (413), rejected for good, or kept for a retry ('give up' when this drain has retried
   * enough: the batch stays queued for the next one).
   */
  #apply(entry: Entry, attempt: Attempt, d: DrainState): 'continue' | 'give up' {
    const { clock, logger } = this.#deps;
    const { verdict, logFields } = attempt;
    const batch = entry.batch;
    switch (verdict.kind) {
      case 'ok':
      case 'already-written': {
        this.#finish(entry);
        this.#stats.samplesSentTotal += batch.samples;
        this.#stats.lastSuccessTimestampMs = clock.nowMs();
        d.delivered += batch.samples;
        this.#consecutiveFailures = 0;
        this.#notBeforeMs = 0;
        this.#lastFatalLogged = undefined;
        d.error = undefined;
        if (verdict.kind === 'already-written') logger.info(logFields, `push: ${verdict.reason}`);
        return 'continue';
      }
      case 'split': {
        const halves = batch.split?.();
        const at = this.#entries.indexOf(entry);
        if (halves !== undefined && at >= 0) {
          this.#remove(entry); // the halves take its place (and its storage)
          this.#entries.splice(at, 0, ...halves.map((b) => ({ batch: b, attempts: 0, mayHaveReached: false })));
          for (const half of halves) this.#queuedBytes += half.bytes;
          logger.warn({ ...logFields, decision: 'split in two' }, `push rejected: ${verdict.reason}`);
          return 'continue';
        }
        const reason = `${verdict.reason}, cannot be split further`;
        d.dropped += this.#reject(entry, reason, logFields);
        d.rejected += 1;
        d.fatalError = reason;
        return 'continue';
      }
      case 'fatal': {
        d.dropped += this.#reject(entry, verdict.reason, logFields);
        d.rejected += 1;
        d.fatalError = verdict.reason;
        return 'continue';
      }
      case 'retry': {
        this.#options.onRetryableFailure?.();
        const { retry } = this.#options;
        this.#stats.samplesRetriedTotal += batch.samples;
        this.#consecutiveFailures += 1;
        d.failures += 1;
        const delayMs = retryDelayMs({
          failures: this.#consecutiveFailures,
          minBackoffMs: retry.minBackoffMs,
          maxBackoffMs: retry.maxBackoffMs,
          maxRetryAfterMs: retry.maxRetryAfterMs,
          random: this.#deps.random,
          ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
        });
        this.#notBeforeMs = clock.nowMs() + delayMs;
        d.error = this.#redact(verdict.reason);
        const giveUp = d.failures > retry.maxRetries;
        logger.warn(
          {
            ...logFields,
            retryInMs: delayMs,
            ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
            decision: giveUp ? 'keep queued for the next cycle' : 'retry',
          },
          `push failed: ${d.error}`,
        );
        return giveUp ? 'give up' : 'continue';
      }
    }
  }

  #report(d: DrainState, error: string | undefined): DrainReport {
    return {
      deliveredSamples: d.delivered,
      droppedSamples: d.dropped,
      rejectedBatches: d.rejected,
      attempts: d.attempts,
      pendingBatches: this.#entries.length,
      ...(d.status !== undefined ? { status: d.status } : {}),
      ...(error !== undefined ? { error } : {}),
    };
  }

  #reject(entry: Entry, reason: string, logFields: Record<string, unknown>): number {
    this.#finish(entry);
    const samples = entry.batch.samples;
    this.#stats.samplesFailedTotal += samples;
    const fields = { ...logFields, droppedSamples: samples, decision: 'drop, not retried' };
    if (this.#lastFatalLogged === reason) {
      this.#deps.logger.debug(fields, `push rejected again: ${reason}`);
    } else {
      this.#lastFatalLogged = reason;
      this.#deps.logger.error(fields, `push rejected: ${reason}`);
    }
    return samples;
  }

  /** Takes an entry out of the queue (its batch lives on elsewhere: split halves, kept on disk). */
  #remove(entry: Entry): boolean {
    const at = this.#entries.indexOf(entry);
    if (at < 0) return false;
    this.#entries.splice(at, 1);
    this.#queuedBytes -= entry.batch.bytes;
    return true;
  }

  /** Takes an entry out of the queue for good and tells its batch (which frees its storage). */
  #finish(entry: Entry): void {
    if (this.#remove(entry)) entry.batch.settle?.();
  }

  #redact(text: string): string {
    return redactSecrets(text, this.#options.secrets());
  }

  #logFields(batch: Batch, result: HttpResult, attempt: number): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      sink: this.#options.sinkName,
      method: batch.method,
      url: redactUrl(batch.url),
      attempt,
      samples: batch.samples,
    };
    if (result.kind === 'response') {
      fields['status'] = result.status;
      if (result.status >= 300 && result.body !== '') {
        const body = truncateForLog(this.#redact(result.body), this.#options.maxLoggedBodyChars ?? 512);
        fields['responseBody'] = result.bodyTruncated ? `${body} (truncated by the client)` : body;
      }
      const location = result.headers.get('location');
      if (location !== undefined) fields['location'] = resolveLocation(location, batch.url);
    } else {
      fields['error'] = result.kind === 'network-error' ? this.#redact(result.message) : result.kind;
    }
    return fields;
  }
}

function prepareBatch(batch: Batch): Result<void, string> {
  if (batch.prepare === undefined) return { ok: true, value: undefined };
  try {
    return batch.prepare();
  } catch (e) {
    return { ok: false, error: describeError(e) };
  }
}

/** A function, so TypeScript does not keep a narrowing of `aborted` across an await. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function resolveLocation(location: string, base: URL): string {
  try {
    return redactUrl(new URL(location, base));
  } catch {
    return '<invalid Location>';
  }
}
