/**
 * An exclusive lock between processes: a file created with O_EXCL holding the owner's pid, its start
 * time (from /proc/<pid>/stat, so a reused pid is not mistaken for the owner), the host name and the
 * time it was taken. A lock whose owner is gone (no such pid, or a pid with another start time: the
 * owner was killed) is stale and taken over. Owners must share a pid namespace (the Kubernetes
 * DaemonSet runs with hostPID), as their liveness is checked in it.
 *
 * One race remains: two processes that both find the same stale lock at the same moment can both
 * take it over. It needs two agents started at once on one directory right after a third was killed.
 */

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

import { describeError, errnoCode } from './result.js';

export interface LockOwner {
  readonly pid: number;
  /** Start time of the owner (clock ticks since boot, /proc/<pid>/stat field 22); -1 when unknown. */
  readonly starttime: number;
  readonly host: string;
  readonly sinceMs: number;
}

export type LockAttempt =
  | { readonly ok: true; readonly release: () => void; readonly owner: LockOwner }
  | { readonly ok: false; readonly reason: 'held'; readonly owner: LockOwner; readonly message: string }
  | { readonly ok: false; readonly reason: 'error'; readonly message: string };

/** Field 22 of /proc/<pid>/stat (after the command name, which may contain spaces and parentheses). */
export function processStartTime(pid: number | 'self', procRoot = '/proc'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const v = Number(fields[19]);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Parses a lock file's text; undefined when it is not one (a stale or foreign file). */
export function parseLockOwner(text: string): LockOwner | undefined {
  const m = /^procpush-lock pid=(\d+) starttime=(-?\d+) host=(\S*) since=(\d+)\n?$/.exec(text);
  if (m === null) return undefined;
  return { pid: Number(m[1]), starttime: Number(m[2]), host: m[3] ?? '', sinceMs: Number(m[4]) };
}

export function formatLockOwner(o: LockOwner): string {
  return `procpush-lock pid=${o.pid} starttime=${o.starttime} host=${o.host} since=${o.sinceMs}\n`;
}

/** Whether the lock's owner is a running process: same pid and same start time. */
export function ownerAlive(o: LockOwner, procRoot = '/proc'): boolean {
  const start = processStartTime(o.pid, procRoot);
  if (start === undefined) return false;
  return o.starttime < 0 || start === o.starttime;
}

/** Takes the lock at `path` for this process, taking over a stale one. Never throws. */
export function acquireLockFile(path: string, nowMs: number, procRoot = '/proc'): LockAttempt {
  const me: LockOwner = { pid: process.pid, starttime: processStartTime('self', procRoot) ?? -1, host: hostname(), sinceMs: nowMs };
  const text = formatLockOwner(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') return { ok: false, reason: 'error', message: `cannot create the lock file ${path}: ${describeError(e)}` };
      let found: string;
      try {
        found = readFileSync(path, 'utf8');
      } catch (re) {
        if (errnoCode(re) === 'ENOENT') continue; // released meanwhile
        return { ok: false, reason: 'error', message: `cannot read the lock file ${path}: ${describeError(re)}` };
      }
      const owner = parseLockOwner(found);
      if (owner !== undefined && ownerAlive(owner, procRoot)) {
        const who = owner.pid === me.pid ? 'this process' : `process ${owner.pid}${owner.host !== me.host ? ` on ${owner.host}` : ''}`;
        return { ok: false, reason: 'held', owner, message: `${path} is held by ${who} since ${new Date(owner.sinceMs).toISOString()}` };
      }
      // Stale (its owner is gone) or not a lock file of ours (e.g. empty after a crash while writing it).
      try {
        if (readFileSync(path, 'utf8') === found) unlinkSync(path);
      } catch {
        // gone meanwhile: try again
      }
      continue;
    }
    try {
      writeSync(fd, text);
    } catch (e) {
      closeSync(fd);
      try {
        unlinkSync(path);
      } catch {
        // nothing more to undo
      }
      return { ok: false, reason: 'error', message: `cannot write the lock file ${path}: ${describeError(e)}` };
    }
    closeSync(fd);
    let released = false;
    return {
      ok: true,
      owner: me,
      release: () => {
        if (released) return;
        released = true;
        try {
          // Only our own lock: a lock file rewritten by someone else (after ours was deleted) stays.
          if (readFileSync(path, 'utf8') === text) unlinkSync(path);
        } catch {
          // already gone (the directory was removed): nothing to release
        }
      },
    };
  }
  return { ok: false, reason: 'error', message: `cannot take the lock file ${path}: it keeps changing` };
}
