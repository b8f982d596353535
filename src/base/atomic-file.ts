/**
 * A whole file written so that a crash leaves either the old content or the new one: a temporary file
 * (mode 0600) written and fsynced, renamed over the target, then the directory fsynced.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

import { describeError, err, ok, type Result } from './result.js';

/** Writes `data` to `path` atomically and durably through `tmpPath` (which a crash may leave behind). */
export function writeFileAtomic(path: string, data: Uint8Array, tmpPath: string): Result<void, string> {
  try {
    const fd = openSync(tmpPath, 'w', 0o600);
    try {
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmpPath, path);
  } catch (e) {
    try {
      unlinkSync(tmpPath);
    } catch {
      // nothing was left behind, or the directory is gone: the next start cleans up
    }
    return err(describeError(e));
  }
  // The rename is durable once the directory is synced. Some filesystems refuse fsync on a directory:
  // the file itself is already on disk then, only its name could be lost by a power cut.
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // see above
  }
  return ok(undefined);
}
