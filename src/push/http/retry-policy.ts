/**
 * What to do with an HTTP result, how long to wait before retrying, and how to read Retry-After. Pure.
 *
 * Remote write 1.0 spec: 5xx MUST be retried with backoff, 429 MAY be, other 4xx MUST NOT be.
 * We also retry 408 (request timeout) and every network error or timeout. 413 splits the batch.
 * Prometheus answers a re-sent request that did get written with 400 "out of order sample" or
 * "duplicate sample for timestamp" (push-protocols.md §2.4); after an earlier attempt that may have
 * reached the receiver, that means "already written", not "rejected".
 * Pushgateway: 200/202 success, 400 malformed or inconsistent (never retried), 3xx means a wrong URL
 * (nothing was stored; redirects are never followed).
 */

import type { HttpResult } from './http-types.js';

export type Protocol = 'remote_write' | 'pushgateway';

export type Verdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'already-written'; readonly reason: string }
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: 'fatal'; readonly reason: string }
  | { readonly kind: 'split'; readonly reason: string };

export interface ClassifyContext {
  readonly protocol: Protocol;
  /** An earlier attempt of the same batch may have reached the receiver. */
  readonly resent: boolean;
  /** For Retry-After HTTP-dates. */
  readonly nowMs: number;
}

const ALREADY_WRITTEN_RE = /out of order|duplicate sample|sample-out-of-order|duplicate-timestamp/i;

export function classifyHttpResult(result: HttpResult, ctx: ClassifyContext): Verdict {
  switch (result.kind) {
    case 'network-error':
      return { kind: 'retry', reason: `network error: ${result.message}` };
    case 'timeout':
      return { kind: 'retry', reason: `request timed out after ${result.timeoutMs}ms` };
    case 'aborted':
      return { kind: 'retry', reason: 'request aborted (shutting down)' };
    case 'response':
      return classifyStatus(result.status, result, ctx);
  }
}

function classifyStatus(
  status: number,
  result: { readonly headers: ReadonlyMap<string, string>; readonly body: string },
  ctx: ClassifyContext,
): Verdict {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  if (status >= 300 && status < 400) {
    const hasLocation = result.headers.has('location');
    return {
      kind: 'fatal',
      reason: `HTTP ${status} redirect${hasLocation ? '' : ' without Location'}: the URL is wrong (redirects are never followed, nothing was stored)`,
    };
  }
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfterMs(result.headers.get('retry-after'), ctx.nowMs);
    return { kind: 'retry', reason: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status >= 400) {
    if (ctx.protocol === 'remote_write') {
      if (status === 400 && ctx.resent && ALREADY_WRITTEN_RE.test(result.body)) {
        return { kind: 'already-written', reason: `HTTP 400 on a re-sent batch: already written` };
      }
      if (status === 413) return { kind: 'split', reason: 'HTTP 413: request too large' };
    }
    const hint = status === 401 || status === 403 ? ' (check the credentials)' : status === 404 ? ' (check the URL path)' : '';
    return { kind: 'fatal', reason: `HTTP ${status}${hint}` };
  }
  // 1xx as a final status, or a number outside 100..599: a broken server or proxy; try again later.
  return { kind: 'retry', reason: `unexpected HTTP status ${status}` };
}

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns a non-negative delay in ms,
 * or undefined when absent or unreadable.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const ms = Number(v) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  // An HTTP-date always names a weekday and GMT (IMF-fixdate, or the obsolete RFC 850 / asctime forms).
  if (!/^[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export interface BackoffOptions {
  /** Consecutive failed attempts so far, at least 1. */
  readonly failures: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

/**
 * Capped exponential backoff with full jitter: uniform in [0, min(max, min·2^(failures−1))).
 * Full jitter spreads the retries of many agents hit by the same outage.
 */
export function backoffMs(options: BackoffOptions): number {
  const exponent = Math.max(0, options.failures - 1);
  const ceiling = Math.min(options.maxBackoffMs, options.minBackoffMs * 2 ** Math.min(exponent, 52));
  return Math.floor(options.random() * ceiling);
}

export interface RetryDelayOptions extends BackoffOptions {
  readonly retryAfterMs?: number;
  /** Longest Retry-After honoured. */
  readonly maxRetryAfterMs: number;
}

/** The wait before the next attempt: the receiver's Retry-After (capped) when it sent one, else backoff. */
export function retryDelayMs(options: RetryDelayOptions): number {
  if (options.retryAfterMs !== undefined) return Math.min(options.retryAfterMs, options.maxRetryAfterMs);
  return backoffMs(options);
}
