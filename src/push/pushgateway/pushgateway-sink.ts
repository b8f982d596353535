/**
 * Pushgateway sink: one `PUT` of the whole cycle (text exposition 0.0.4, no timestamps) to the group
 * of this node, replacing the group so vanished series disappear with it. Only the newest snapshot is
 * worth sending, so the queue holds one: a snapshot still pending when the next cycle comes is replaced.
 * Optional `DELETE` of the group on graceful shutdown.
 *
 * No disk spool (unlike remote write's `queue.dir`), on purpose: the gateway stores one value per series,
 * the last PUT, so a failed snapshot is never worth sending once a newer one exists, and the next run
 * (or cycle) always has a newer one. For `procpush once`, the next run's PUT carries counters that,
 * continued through `--state`, include everything the failed run counted; re-PUTting the failed body
 * first would only flash older values.
 */

import { renderExposition } from '../../series/exposition.js';
import type { Label, MetricFamily, Sample } from '../../series/types.js';
import type { Batch, RetryOptions } from '../delivery-queue.js';
import { PUSHGATEWAY_RESERVED_HEADERS, type AuthConfig } from '../http/auth.js';
import { buildSeriesLabels, labelSetKey, prepareStaticLabels } from '../series-labels.js';
import { buildReport, countSamples, SinkSkeleton, type Queued, type SinkSkeletonDeps } from '../sink-common.js';
import type { SinkMemory } from '../../collector/state-format.js';
import type { CloseOptions, PushPayload, SendReport, Sink } from '../types.js';
import { buildPushgatewayUrl } from './pushgateway-url.js';

/** Text exposition 0.0.4 (push-protocols.md §1.4: the gateway parses anything else as this anyway). */
export const PUSHGATEWAY_CONTENT_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/plain; version=0.0.4',
};

export interface PushgatewaySinkOptions {
  readonly name: string;
  /** Base URL (scheme, host, optional route prefix), without userinfo. */
  readonly url: URL;
  readonly job: string;
  /**
   * Grouping labels after the job. `instance` defaults to the payload's `instance` extra label, so each
   * node pushes to its own group; set it here to override.
   */
  readonly grouping: readonly Label[];
  readonly deleteOnShutdown: boolean;
  readonly userHeaders: Readonly<Record<string, string>>;
  readonly auth: AuthConfig;
  readonly timeoutMs: number;
  readonly sendDeadlineMs: number;
  readonly retry: RetryOptions;
}

export type PushgatewaySinkDeps = SinkSkeletonDeps;

export function createPushgatewaySink(options: PushgatewaySinkOptions, deps: PushgatewaySinkDeps): Sink {
  return new PushgatewaySink(options, deps);
}

interface Snapshot {
  readonly url: URL;
  readonly body: string;
  readonly samples: number;
  readonly invalidCount: number;
  readonly firstInvalidReason?: string;
}

/** The group of this node: `instance` from the static labels unless the grouping sets it. Pure. */
export function pushgatewayGroup(
  config: { readonly url: URL; readonly job: string; readonly grouping: readonly Label[] },
  extraLabels: readonly Label[],
): { readonly ok: true; readonly value: { readonly url: URL; readonly grouping: readonly Label[] } } | { readonly ok: false; readonly error: string } {
  const grouping = [...config.grouping];
  if (!grouping.some((l) => l.name === 'instance')) {
    const instance = extraLabels.find((l) => l.name === 'instance');
    if (instance === undefined || instance.value === '') {
      return {
        ok: false,
        error: 'no instance for the Pushgateway grouping key: set the instance label or the sink grouping.instance (every node would overwrite the same group)',
      };
    }
    grouping.push(instance);
  }
  const url = buildPushgatewayUrl(config.url, config.job, grouping);
  return url.ok ? { ok: true, value: { url: url.value, grouping } } : url;
}

/** Builds the PUT for one payload: group URL and text body with the static labels on every series. Pure. */
export function buildPushgatewaySnapshot(
  payload: PushPayload,
  config: { readonly url: URL; readonly job: string; readonly grouping: readonly Label[] },
): { readonly ok: true; readonly value: Snapshot } | { readonly ok: false; readonly error: string } {
  const group = pushgatewayGroup(config, payload.extraLabels);
  if (!group.ok) return group;
  const { url, grouping } = group.value;
  // The gateway overwrites body labels named like the grouping key with the path values: leave the
  // static ones out (the path carries them) and refuse data labels with those names.
  const groupingNames = new Set(['job', ...grouping.map((l) => l.name)]);
  const statics = prepareStaticLabels(payload.extraLabels, { exclude: groupingNames });
  if (!statics.ok) return statics;
  const validNameCache = new Set<string>();
  const families: MetricFamily[] = [];
  const familyNames = new Set<string>();
  let samples = 0;
  let invalidCount = 0;
  let firstInvalidReason: string | undefined;
  const invalid = (n: number, reason: string): void => {
    invalidCount += n;
    firstInvalidReason ??= reason;
  };
  for (const family of payload.families) {
    if (familyNames.has(family.name)) {
      // The gateway rejects the whole push (400) for a family given twice.
      invalid(family.samples.length, `${family.name}: family appears twice in one cycle`);
      continue;
    }
    familyNames.add(family.name);
    const out: Sample[] = [];
    const keys = new Set<string>();
    for (const sample of family.samples) {
      const built = buildSeriesLabels({
        metricName: family.name,
        dataLabels: sample.labels,
        statics: statics.value,
        includeMetricName: false,
        forbiddenDataNames: groupingNames,
        validNameCache,
      });
      if (!built.ok) {
        invalid(1, built.error);
        continue;
      }
      const key = labelSetKey(built.value.labels);
      if (keys.has(key)) {
        invalid(1, `${family.name}: the same series appears twice in one cycle`);
        continue;
      }
      keys.add(key);
      out.push({ labels: built.value.labels, value: sample.value });
    }
    samples += out.length;
    families.push({ name: family.name, help: family.help, type: family.type, samples: out });
  }
  return {
    ok: true,
    value: {
      url,
      body: renderExposition(families),
      samples,
      invalidCount,
      ...(firstInvalidReason !== undefined ? { firstInvalidReason } : {}),
    },
  };
}

class PushgatewaySink extends SinkSkeleton {
  readonly #options: PushgatewaySinkOptions;
  readonly #deps: PushgatewaySinkDeps;
  /** The group last pushed to, for the shutdown DELETE. */
  #lastGroupUrl: URL | undefined;
  #lastError: string | undefined;

  constructor(options: PushgatewaySinkOptions, deps: PushgatewaySinkDeps) {
    super(
      {
        type: 'pushgateway',
        name: options.name,
        url: options.url,
        protocol: 'pushgateway',
        userHeaders: options.userHeaders,
        auth: options.auth,
        reservedHeaders: { 'User-Agent': `procpush/${deps.version}` },
        reservedNames: PUSHGATEWAY_RESERVED_HEADERS,
        timeoutMs: options.timeoutMs,
        sendDeadlineMs: options.sendDeadlineMs,
        retry: options.retry,
        queue: { maxBatches: 1, maxBytes: Number.POSITIVE_INFINITY, maxAgeMs: Number.POSITIVE_INFINITY },
      },
      deps,
    );
    this.#options = options;
    this.#deps = deps;
  }

  protected async deliver(queued: Queued, deadlineMs: number): Promise<SendReport> {
    const drain = await this.queue.drain({ deadlineMs, signal: this.closing.signal });
    return buildReport({ ...queued, drain });
  }

  memory(): SinkMemory {
    return { kind: 'pushgateway', groupUrl: this.#lastGroupUrl?.href ?? '' };
  }

  /** The group the previous run pushed to: what a shutdown DELETE (or `retire`) removes until this run pushes. */
  restoreMemory(memory: SinkMemory): void {
    if (memory.kind !== 'pushgateway' || memory.groupUrl === '' || this.#lastGroupUrl !== undefined) return;
    try {
      const url = new URL(memory.groupUrl);
      if (url.origin === this.#options.url.origin) this.#lastGroupUrl = url;
    } catch {
      // not a URL: nothing to delete
    }
  }

  protected release(): void {
    // The transport is all this sink holds.
  }

  /** Renders and queues the snapshot at once, replacing an unsent older one. */
  protected enqueue(payload: PushPayload): Queued {
    const snapshot = buildPushgatewaySnapshot(payload, this.#options);
    if (!snapshot.ok) {
      const samples = countSamples(payload.families);
      this.queue.countDropped(samples);
      this.#logOnce('error', { sink: this.name, err: snapshot.error, droppedSamples: samples }, snapshot.error, 'payload dropped');
      return { samples, droppedBeforeSend: samples, error: snapshot.error };
    }
    const s = snapshot.value;
    if (s.invalidCount > 0) {
      this.queue.countDropped(s.invalidCount);
      this.#logOnce(
        'warn',
        { sink: this.name, invalidSeries: s.invalidCount, first: s.firstInvalidReason },
        s.firstInvalidReason ?? '',
        'invalid series not sent',
      );
    }
    this.#lastGroupUrl = s.url;
    const body = Buffer.from(s.body, 'utf8');
    this.queue.replaceAll([
      {
        method: 'PUT',
        url: s.url,
        samples: s.samples,
        bytes: body.length,
        contentHeaders: PUSHGATEWAY_CONTENT_HEADERS,
        body: () => body,
      },
    ]);
    return { samples: s.samples, droppedBeforeSend: s.invalidCount };
  }

  protected async shutdown(options: CloseOptions, deadlineMs: number): Promise<SendReport> {
    const deleteGroup = options.deleteGroup ?? this.#options.deleteOnShutdown;
    if (deleteGroup && this.#lastGroupUrl === undefined && options.extraLabels !== undefined) {
      // Nothing pushed by this run nor known from the state (`retire`): this node's group as the config gives it.
      const group = pushgatewayGroup(this.#options, options.extraLabels);
      if (group.ok) this.#lastGroupUrl = group.value.url;
    }
    if (deleteGroup && this.#lastGroupUrl !== undefined) {
      const del: Batch = {
        method: 'DELETE',
        url: this.#lastGroupUrl,
        samples: 0,
        bytes: 0,
        contentHeaders: {},
        body: () => undefined,
      };
      this.queue.replaceAll([del]); // a pending PUT is pointless right before deleting its group
    }
    const drain = await this.queue.drain({ deadlineMs });
    const lost = this.queue.dropAll();
    return buildReport({
      samples: 0,
      drain,
      droppedBeforeSend: lost,
      ...(drain.pendingBatches > 0 ? { error: deleteGroup ? 'group not deleted before the deadline' : 'last snapshot not pushed before the deadline' } : {}),
    });
  }

  #logOnce(level: 'warn' | 'error', fields: object, key: string, msg: string): void {
    const lvl = this.#lastError === key ? 'debug' : level;
    this.#lastError = key;
    this.#deps.logger[lvl](fields, msg);
  }
}
