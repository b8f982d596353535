/** The world as the sinks see it, injected so tests control time, randomness and the network. Types only. */

import type { ReadTextFile } from './http/auth.js';
import type { HttpTransport } from './http/http-types.js';
import type { TlsOptions } from './http/node-transport.js';
import type { Result } from '../runtime/result.js';
import type { PushLogger } from './types.js';

export interface PushClock {
  /** Wall-clock ms since the Unix epoch (used for deadlines, Retry-After dates and stats). */
  nowMs(): number;
}

/** Waits `ms`; resolves early (never rejects) when the signal aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Reads a whole file as bytes (TLS material). */
export type ReadBinaryFile = (path: string) => Result<Buffer, string>;

/** A transport plus a way to release its sockets. */
export interface ClosableTransport {
  readonly request: HttpTransport;
  close(): void;
}

export interface SinkDeps {
  readonly logger: PushLogger;
  readonly clock: PushClock;
  readonly sleep: Sleep;
  /** Uniform in [0, 1), for backoff jitter. */
  readonly random: () => number;
  /** Secrets files (password_file, bearer_token_file), read at every request. */
  readonly readTextFile: ReadTextFile;
  /** TLS files, read once when the sink is created. */
  readonly readBinaryFile: ReadBinaryFile;
  /** Builds the sink's own transport. */
  readonly createTransport: (tls: TlsOptions | undefined) => ClosableTransport;
  /** procpush version for the User-Agent (`procpush/<version>`). */
  readonly version: string;
  /** Directory holding `prometheus/remote.proto`; default: found by walking up from this module. */
  readonly protoDir?: string;
}
