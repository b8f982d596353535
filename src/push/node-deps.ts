/**
 * The real-world SinkDeps on Node: wall clock, timers, Math.random, node:fs and node:http(s).
 * Meant to be called once from the composition root (main.ts); tests build their own deps.
 */

import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { describeError, err, errnoCode, ok, type Result } from '../base/result.js';
import { writeFileAtomic } from '../base/atomic-file.js';
import { acquireLockFile } from '../base/lock-file.js';
import type { DirLockAttempt, QueueFs, SinkDeps, Sleep } from './deps.js';
import { createNodeTransport } from './http/node-transport.js';
import type { PushLogger } from './types.js';

export const nodeSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function readBinary(path: string): Result<Buffer, string> {
  try {
    return ok(readFileSync(path));
  } catch (e) {
    return err(describeError(e)); // names the path and the errno, never the content
  }
}

function attempt(f: () => void): Result<void, string> {
  try {
    f();
    return ok(undefined);
  } catch (e) {
    return err(describeError(e));
  }
}

/** Writes a whole buffer to a new file (`<path>.tmp`), fsyncs it, renames it into place and fsyncs the directory. */
function writeAtomic(path: string, data: Uint8Array): Result<void, string> {
  return writeFileAtomic(path, data, `${path}.tmp`);
}

/** The lock file inside a queue directory (remote-write/disk-queue.ts names it too). */
const LOCK_FILE = 'procpush.lock';

/**
 * The real QueueFs. In-process locks live in this module, so every sink of the process shares them
 * (a config reload builds new SinkDeps, yet must see the locks of the sinks it replaces); the lock
 * file in the directory keeps other processes out (see base/lock-file.ts).
 */
export function createNodeQueueFs(): QueueFs {
  const locks = new Map<string, { readonly released: Promise<void>; readonly release: () => void }>();
  const mkdirp = (dir: string): Result<void, string> => attempt(() => mkdirSync(dir, { recursive: true, mode: 0o700 }));
  return {
    mkdirp,
    list: (dir) => {
      try {
        return ok(readdirSync(dir));
      } catch (e) {
        return err(describeError(e));
      }
    },
    read: (path) => {
      try {
        return ok(readFileSync(path));
      } catch (e) {
        return err(describeError(e));
      }
    },
    writeAtomic,
    remove: (path) => {
      try {
        unlinkSync(path);
        return ok(undefined);
      } catch (e) {
        return errnoCode(e) === 'ENOENT' ? ok(undefined) : err(describeError(e));
      }
    },
    tryLock: (dir): DirLockAttempt => {
      const key = resolve(dir);
      if (locks.has(key)) return { kind: 'busy' };
      const made = mkdirp(dir);
      if (!made.ok) return { kind: 'refused', error: `cannot create queue directory ${dir}: ${made.error}` };
      const lockPath = join(dir, LOCK_FILE);
      let file = acquireLockFile(lockPath, Date.now());
      if (!file.ok) {
        const error = file.reason === 'held' ? `queue directory ${dir} is used by another procpush: ${file.message}; give each agent its own queue.dir` : file.message;
        return { kind: 'refused', error };
      }
      let release = (): void => undefined;
      const released = new Promise<void>((r) => {
        release = r;
      });
      const entry = { released, release };
      locks.set(key, entry);
      return {
        kind: 'locked',
        lock: {
          release: () => {
            if (locks.get(key) !== entry) return;
            locks.delete(key);
            if (file.ok) file.release();
            entry.release();
          },
          renew: () => {
            const again = mkdirp(dir);
            if (!again.ok) return again;
            if (file.ok) file.release();
            file = acquireLockFile(lockPath, Date.now());
            return file.ok ? ok(undefined) : err(file.message);
          },
        },
      };
    },
    whenUnlocked: (dir) => locks.get(resolve(dir))?.released ?? Promise.resolve(),
  };
}

/** One per process: see createNodeQueueFs. */
export const nodeQueueFs: QueueFs = createNodeQueueFs();

export function createNodeSinkDeps(input: {
  readonly logger: PushLogger;
  readonly version: string;
  readonly maxResponseBodyBytes?: number;
}): SinkDeps {
  return {
    logger: input.logger,
    version: input.version,
    clock: { nowMs: () => Date.now() },
    sleep: nodeSleep,
    random: Math.random,
    readBinaryFile: readBinary,
    queueFs: nodeQueueFs,
    readTextFile: (path) => {
      const r = readBinary(path);
      return r.ok ? ok(r.value.toString('utf8')) : r;
    },
    createTransport: (tls) =>
      createNodeTransport({
        ...(tls !== undefined ? { tls } : {}),
        ...(input.maxResponseBodyBytes !== undefined ? { maxResponseBodyBytes: input.maxResponseBodyBytes } : {}),
      }),
  };
}
