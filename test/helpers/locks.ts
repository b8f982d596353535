/**
 * Tests that play several agent processes inside one: a lock file (base/lock-file.ts) left by an
 * earlier "process" of the test names this very process, which is alive. Rewriting it with a pid no
 * process can have makes it what a killed agent leaves behind: a stale lock.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { formatLockOwner, parseLockOwner } from '../../src/base/lock-file.js';

/** Above Linux's highest pid_max (2^22): never a live process. */
export const DEAD_PID = 9_999_999;

/** Makes a lock file held by this process look like one left by a killed process. */
export function markLockOwnerDead(path: string): void {
  if (!existsSync(path)) return;
  const owner = parseLockOwner(readFileSync(path, 'utf8'));
  if (owner === undefined || owner.pid !== process.pid) return;
  writeFileSync(path, formatLockOwner({ ...owner, pid: DEAD_PID }));
}
