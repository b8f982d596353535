/**
 * What both sinks share: the sink skeleton (queue at once, deliver one send after the other, close once,
 * never throw), report building and the request headers with their credentials.
 */

import { describeError, ok, type Result } from '../base/result.js';
import type { ClosableTransport, PushClock, Sleep } from './deps.js';
import { DeliveryQueue, type DrainReport, type QueueLimits, type RetryOptions } from './delivery-queue.js';
import { mergeHeaders, resolveAuth, secretHeaderValues, type AuthConfig, type ReadTextFile } from './http/auth.js';
import type { Protocol } from './http/retry-policy.js';
import { redactSecrets, redactUrl } from './redact.js';
import type { CloseOptions, PushLogger, PushPayload, SendOptions, SendReport, Sink, SinkStats, SinkType } from './types.js';

/** Runs tasks one after the other, in call order, whatever each one's outcome. */
export class SerialRunner {
  #tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export function buildReport(input: {
  readonly samples: number;
  readonly drain: DrainReport;
  /** Samples given up before reaching the queue (invalid series, evictions, closed sink). */
  readonly droppedBeforeSend: number;
  readonly error?: string;
}): SendReport {
  const dropped = input.drain.droppedSamples + input.droppedBeforeSend;
  const error = input.drain.error ?? input.error;
  return {
    outcome: dropped > 0 || input.drain.rejectedBatches > 0 ? 'dropped' : input.drain.pendingBatches > 0 ? 'failed' : 'ok',
    samples: input.samples,
    deliveredSamples: input.drain.deliveredSamples,
    droppedSamples: dropped,
    attempts: input.drain.attempts,
    pendingBatches: input.drain.pendingBatches,
    ...(input.drain.status !== undefined ? { status: input.drain.status } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

/** The report of a send that failed with an unexpected exception (a bug): never let it escape. */
export function crashReport(e: unknown, pendingBatches: number, secrets: readonly string[]): SendReport {
  return {
    outcome: 'failed',
    samples: 0,
    deliveredSamples: 0,
    droppedSamples: 0,
    attempts: 0,
    pendingBatches,
    error: `internal error: ${redactSecrets(describeError(e), secrets)}`,
  };
}

export const EMPTY_DRAIN: DrainReport = { deliveredSamples: 0, droppedSamples: 0, rejectedBatches: 0, attempts: 0, pendingBatches: 0 };

export function countSamples(families: readonly { readonly samples: readonly unknown[] }[]): number {
  let n = 0;
  for (const f of families) n += f.samples.length;
  return n;
}

/** Builds the request headers for each attempt and remembers every secret seen, for redaction. */
export class HeaderSource {
  readonly #user: Readonly<Record<string, string>>;
  readonly #auth: AuthConfig;
  readonly #readTextFile: ReadTextFile;
  readonly #reserved: Readonly<Record<string, string>>;
  readonly #reservedNames: readonly string[];
  readonly #secrets = new Set<string>();

  constructor(input: {
    readonly userHeaders: Readonly<Record<string, string>>;
    readonly auth: AuthConfig;
    readonly readTextFile: ReadTextFile;
    readonly reserved: Readonly<Record<string, string>>;
    readonly reservedNames: readonly string[];
  }) {
    this.#user = input.userHeaders;
    this.#auth = input.auth;
    this.#readTextFile = input.readTextFile;
    this.#reserved = input.reserved;
    this.#reservedNames = input.reservedNames;
    for (const v of secretHeaderValues(input.userHeaders)) this.#secrets.add(v);
    if (input.auth.kind === 'basic' && 'inline' in input.auth.password) this.#secrets.add(input.auth.password.inline);
    if (input.auth.kind === 'bearer' && 'inline' in input.auth.token) this.#secrets.add(input.auth.token.inline);
  }

  headers(): Result<Record<string, string>, string> {
    const auth = resolveAuth(this.#auth, this.#readTextFile);
    if (!auth.ok) return auth;
    for (const s of auth.value.secrets) this.#secrets.add(s);
    return ok(
      mergeHeaders({
        user: this.#user,
        reserved: this.#reserved,
        reservedNames: this.#reservedNames,
        ...(auth.value.authorization !== undefined ? { authorization: auth.value.authorization } : {}),
      }),
    );
  }

  secrets(): readonly string[] {
    return [...this.#secrets];
  }
}

/** What queuing one payload produced, for its report. */
export interface Queued {
  readonly samples: number;
  /** Samples given up before reaching the queue (invalid series, evictions). */
  readonly droppedBeforeSend: number;
  readonly error?: string;
}

/** What every sink is configured with. */
export interface SinkSkeletonOptions {
  readonly type: SinkType;
  readonly name: string;
  /** The receiver, without userinfo (the factory moves it to basic auth). */
  readonly url: URL;
  readonly protocol: Protocol;
  readonly userHeaders: Readonly<Record<string, string>>;
  readonly auth: AuthConfig;
  /** Protocol headers, which always win over user headers. */
  readonly reservedHeaders: Readonly<Record<string, string>>;
  readonly reservedNames: readonly string[];
  readonly timeoutMs: number;
  readonly sendDeadlineMs: number;
  readonly retry: RetryOptions;
  readonly queue: QueueLimits;
  /** Called after each attempt that failed with a retryable error (remote write spills its queue to disk). */
  readonly onRetryableFailure?: () => void;
}

/** The world every sink uses. */
export interface SinkSkeletonDeps {
  readonly transport: ClosableTransport;
  readonly clock: PushClock;
  readonly sleep: Sleep;
  readonly random: () => number;
  readonly logger: PushLogger;
  readonly readTextFile: ReadTextFile;
  /** procpush version for the User-Agent (`procpush/<version>`). */
  readonly version: string;
}

/**
 * The part of a sink both types share. `send` queues the payload at once (so memory stays bounded by
 * the queue even if calls pile up behind a slow receiver) and delivers after the sends before it, one at
 * a time; a closed sink drops what it is sent. `close` runs once, after the sends already queued; a
 * second call reports "already closed". An unexpected exception (a bug) becomes a report, never a
 * rejection, and the transport is always released.
 */
export abstract class SinkSkeleton implements Sink {
  readonly name: string;
  readonly type: SinkType;
  readonly target: string;
  protected readonly queue: DeliveryQueue;
  protected readonly headers: HeaderSource;
  /** Aborted by close(): cuts backoff waits of a send in progress short. */
  protected readonly closing = new AbortController();
  readonly #runner = new SerialRunner();
  readonly #clock: PushClock;
  readonly #sendDeadlineMs: number;
  readonly #transport: ClosableTransport;
  #closed = false;

  constructor(o: SinkSkeletonOptions, deps: SinkSkeletonDeps) {
    this.name = o.name;
    this.type = o.type;
    this.target = redactUrl(o.url);
    this.#clock = deps.clock;
    this.#sendDeadlineMs = o.sendDeadlineMs;
    this.#transport = deps.transport;
    this.headers = new HeaderSource({ userHeaders: o.userHeaders, auth: o.auth, readTextFile: deps.readTextFile, reserved: o.reservedHeaders, reservedNames: o.reservedNames });
    this.queue = new DeliveryQueue(
      {
        sinkName: o.name,
        protocol: o.protocol,
        requestTimeoutMs: o.timeoutMs,
        retry: o.retry,
        queue: o.queue,
        headers: () => this.headers.headers(),
        secrets: () => this.headers.secrets(),
        ...(o.onRetryableFailure !== undefined ? { onRetryableFailure: o.onRetryableFailure } : {}),
      },
      { transport: deps.transport.request, clock: deps.clock, sleep: deps.sleep, random: deps.random, logger: deps.logger },
    );
  }

  stats(): SinkStats {
    return this.queue.stats();
  }

  send(payload: PushPayload, options: SendOptions = {}): Promise<SendReport> {
    const deadlineMs = Math.min(options.deadlineMs ?? Number.POSITIVE_INFINITY, this.#clock.nowMs() + this.#sendDeadlineMs);
    if (this.#closed) {
      const samples = countSamples(payload.families);
      this.queue.countDropped(samples);
      return Promise.resolve(buildReport({ samples, drain: EMPTY_DRAIN, droppedBeforeSend: samples, error: 'sink is closed' }));
    }
    let queued: Queued;
    try {
      queued = this.enqueue(payload);
    } catch (e) {
      return Promise.resolve(this.#crash(e));
    }
    return this.#runner.run(async () => {
      try {
        return await this.deliver(queued, deadlineMs);
      } catch (e) {
        return this.#crash(e);
      }
    });
  }

  close(options: CloseOptions = {}): Promise<SendReport> {
    if (this.#closed) return Promise.resolve(buildReport({ samples: 0, drain: EMPTY_DRAIN, droppedBeforeSend: 0, error: 'already closed' }));
    this.#closed = true;
    this.closing.abort();
    return this.#runner.run(async () => {
      try {
        return await this.shutdown(options, options.deadlineMs ?? this.#clock.nowMs() + this.#sendDeadlineMs);
      } catch (e) {
        return this.#crash(e);
      } finally {
        this.release();
        this.#transport.close();
      }
    });
  }

  /** Turns the payload into queued batches, synchronously. */
  protected abstract enqueue(payload: PushPayload): Queued;
  /** Delivers the queue (after the sends before this one) and reports. */
  protected abstract deliver(queued: Queued, deadlineMs: number): Promise<SendReport>;
  /** The sink's own graceful shutdown (stale markers, DELETE, flush), by `deadlineMs`. */
  protected abstract shutdown(options: CloseOptions, deadlineMs: number): Promise<SendReport>;
  /** Releases what the sink holds besides the transport; runs whatever shutdown did. */
  protected abstract release(): void;

  #crash(e: unknown): SendReport {
    return crashReport(e, this.queue.length, this.headers.secrets());
  }
}
