/** The world as the sinks see it, injected so tests control time, randomness and the network. Types only. */

import type { ReadTextFile } from './http/auth.js';
import type { HttpTransport } from './http/http-types.js';
import type { TlsOptions } from './http/node-transport.js';
import type { Result } from '../base/result.js';
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

/** A queue directory held by this sink. */
export interface DirLock {
  /** Lets go of the directory (its lock file is removed). */
  release(): void;
  /** Creates the directory and its lock file again, after someone deleted the directory. */
  renew(): Result<void, string>;
}

/** `busy`: another sink of this process holds it (wait); `refused`: another process does (an error). */
export type DirLockAttempt = { readonly kind: 'locked'; readonly lock: DirLock } | { readonly kind: 'busy' } | { readonly kind: 'refused'; readonly error: string };

/**
 * The file operations of the durable remote-write queue (`queue.dir`), plus a lock per directory: in
 * process, so two sinks of one process (the old and the new one across a config reload) take turns,
 * and a lock file, so a second process (another agent, a manual `procpush once`) is refused.
 * Synchronous: each call is one small file.
 */
export interface QueueFs {
  /** Creates the directory (and its parents) if missing. */
  mkdirp(dir: string): Result<void, string>;
  /** File names in the directory (not paths). */
  list(dir: string): Result<string[], string>;
  read(path: string): Result<Uint8Array, string>;
  /** Writes `data` to `path` atomically and durably: a temp file, fsync, rename, fsync of the directory. */
  writeAtomic(path: string, data: Uint8Array): Result<void, string>;
  /** Deletes a file; a missing file is not an error. */
  remove(path: string): Result<void, string>;
  /** Takes the lock of a directory (creating it). */
  tryLock(dir: string): DirLockAttempt;
  /** Resolves when the directory's lock is free (it may be taken again before the caller gets it). */
  whenUnlocked(dir: string): Promise<void>;
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
  /** Files of the durable remote-write queue; required only by sinks with `queue.dir`. */
  readonly queueFs?: QueueFs;
  /** procpush version for the User-Agent (`procpush/<version>`). */
  readonly version: string;
  /** Directory holding `prometheus/remote.proto`; default: found by walking up from this module. */
  readonly protoDir?: string;
}
