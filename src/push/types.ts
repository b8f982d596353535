/** Types shared by the push sinks (remote write 1.0 and Pushgateway). Types only. */

import type { SinkMemory } from '../collector/state-format.js';
import type { Label, MetricFamily } from '../series/types.js';

/** What a sink gets once per cycle. */
export interface PushPayload {
  /** Cycle time in ms since the Unix epoch; remote write stamps every sample with it. */
  readonly timestampMs: number;
  readonly families: readonly MetricFamily[];
  /** Static labels (node, ip, instance, team, ...) attached to every series. */
  readonly extraLabels: readonly Label[];
}

/**
 * `ok`: everything queued in this sink, including this payload, was delivered.
 * `failed`: something is still queued (retryable error, deadline reached); it is re-sent, in order, by the next call.
 * `dropped`: some data was given up for good in this call (rejected with a non-retryable status, invalid,
 * or evicted from a full queue).
 */
export type SendOutcome = 'ok' | 'failed' | 'dropped';

/** The result of one `send()` or `close()`. Sinks never throw; every failure ends up here. */
export interface SendReport {
  readonly outcome: SendOutcome;
  /** Samples (series lines) this payload produced, stale markers included. */
  readonly samples: number;
  /** Samples delivered during this call (from this payload and from queued older ones). */
  readonly deliveredSamples: number;
  /** Samples given up for good during this call. */
  readonly droppedSamples: number;
  /** HTTP requests made during this call. */
  readonly attempts: number;
  /** Batches still queued after this call. */
  readonly pendingBatches: number;
  /** Status of the last HTTP response, if any. */
  readonly status?: number;
  /** Last error, with secrets redacted. */
  readonly error?: string;
}

/** Cumulative counters of one sink, for the `procpush_` self-metrics. Units are in the names. */
export interface SinkStats {
  /** Samples accepted by the receiver (2xx, or "already written" after a retry). */
  readonly samplesSentTotal: number;
  /** Samples rejected by the receiver with a non-retryable status (4xx other than 408/429). */
  readonly samplesFailedTotal: number;
  /** Samples in requests that failed with a retryable error (each retried attempt counts again). */
  readonly samplesRetriedTotal: number;
  /** Samples given up without a rejection: queue overflow, invalid series, sink closed. */
  readonly samplesDroppedTotal: number;
  /** Pushgateway only: queued snapshots replaced by a newer one before they could be sent (no data loss: PUT replaces). */
  readonly batchesSupersededTotal: number;
  readonly requestsTotal: number;
  /** Ms since the epoch of the last 2xx, undefined before the first one. */
  readonly lastSuccessTimestampMs: number | undefined;
  /** Batches waiting in the in-memory queue. */
  readonly queueBatches: number;
  /** Samples waiting in the in-memory queue. */
  readonly queueSamples: number;
}

export type SinkType = 'remote_write' | 'pushgateway';

export interface SendOptions {
  /**
   * Absolute time (ms since the epoch, on the sink's clock) by which the call must return.
   * Default: now + the sink's `send_deadline`. The earlier of both is used.
   */
  readonly deadlineMs?: number;
}

export interface CloseOptions {
  /** Absolute time (ms since the epoch) by which close must return. Default: now + `send_deadline`. */
  readonly deadlineMs?: number;
  /** Timestamp of the shutdown stale markers (remote write). Default: now (and always after the last cycle). */
  readonly timestampMs?: number;
  /**
   * Remote write: send a stale marker for every series sent so far. Default true (daemon shutdown);
   * `procpush once` passes false, or its one-shot samples would vanish from queries at once.
   */
  readonly staleMarkers?: boolean;
  /** Pushgateway: DELETE the group. Default: the sink's `delete_on_shutdown`. */
  readonly deleteGroup?: boolean;
  /** Pushgateway: the static labels, to find the group to DELETE when nothing was pushed (`retire`). */
  readonly extraLabels?: readonly Label[];
  /**
   * Remote write with `queue.dir`: retry until everything is delivered or the deadline passes (`retire`),
   * instead of the quick shutdown that leaves what is pending on disk for the next start.
   */
  readonly untilDelivered?: boolean;
}

export interface Sink {
  /** Unique name, used as the `sink` label of the self-metrics. */
  readonly name: string;
  readonly type: SinkType;
  /** The receiver URL without credentials, for logs. */
  readonly target: string;
  /** Queues the payload and delivers the queue in order. Never throws, never rejects. */
  send(payload: PushPayload, options?: SendOptions): Promise<SendReport>;
  /**
   * Graceful shutdown: remote write sends stale markers for every series it has sent and flushes the
   * queue; the Pushgateway sink deletes its group when `delete_on_shutdown` is set. Later sends fail.
   */
  close(options?: CloseOptions): Promise<SendReport>;
  stats(): SinkStats;
  /** What it has not delivered survives a restart (remote write with `queue.dir`): its shutdown is quick. */
  readonly durable?: boolean;
  /**
   * What this sink pushed last, for the state file: remote write the label sets of its last series
   * (the next start sends stale markers for those that no longer exist), the Pushgateway its group.
   */
  memory?(): SinkMemory;
  /** Takes what the previous run pushed (from the state file); call it before the first send. */
  restoreMemory?(memory: SinkMemory): void;
}

/** The subset of pino's logger the sinks use; pino's `Logger` satisfies it. */
export interface PushLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
