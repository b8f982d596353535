/** Pieces both sinks use: call serialisation, report building, request headers with credentials. */

import { describeError, ok, type Result } from '../base/result.js';
import type { DrainReport } from './delivery-queue.js';
import { mergeHeaders, resolveAuth, secretHeaderValues, type AuthConfig, type ReadTextFile } from './http/auth.js';
import { redactSecrets } from './redact.js';
import type { SendReport } from './types.js';

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

/**
 * The shared part of a sink's `close()`: a second call reports "already closed"; otherwise `close` runs
 * after the sends already queued on `runner`, an exception becomes a crash report, and `release` always runs.
 */
export function closeOnce(input: {
  readonly alreadyClosed: boolean;
  readonly runner: SerialRunner;
  readonly close: () => Promise<SendReport>;
  readonly crash: (e: unknown) => SendReport;
  readonly release: () => void;
}): Promise<SendReport> {
  if (input.alreadyClosed) {
    return Promise.resolve(buildReport({ samples: 0, drain: EMPTY_DRAIN, droppedBeforeSend: 0, error: 'already closed' }));
  }
  return input.runner.run(async () => {
    try {
      return await input.close();
    } catch (e) {
      return input.crash(e);
    } finally {
      input.release();
    }
  });
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
