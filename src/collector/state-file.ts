import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CollectorSnapshot } from './collector.js';
import { writeJsonChunked } from '../base/memory.js';
import { describeError, errnoCode } from '../base/result.js';

export type StateLoad =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly snapshot: CollectorSnapshot; readonly savedAtMs: number; readonly fingerprint: string }
  | { readonly kind: 'corrupt'; readonly error: string };

interface StateFile {
  readonly format: 'procpush-state';
  readonly savedAtMs: number;
  /** What the counters were computed with (rules and collection options); a state of other rules is not continued. */
  readonly fingerprint: string;
  readonly collector: CollectorSnapshot;
}

function isStateFile(v: unknown): v is StateFile {
  if (typeof v !== 'object' || v === null) return false;
  if (!('format' in v) || v.format !== 'procpush-state') return false;
  if (!('savedAtMs' in v) || typeof v.savedAtMs !== 'number') return false;
  if (!('fingerprint' in v) || typeof v.fingerprint !== 'string') return false;
  if (!('collector' in v) || typeof v.collector !== 'object' || v.collector === null) return false;
  const c = v.collector;
  if (!('version' in c) || c.version !== 1 || !('grouper' in c) || !('counters' in c)) return false;
  const g = c.grouper;
  return typeof g === 'object' && g !== null && 'tracker' in g && 'groupAccum' in g && Array.isArray(g.groupAccum);
}

/** Reads the tracker state written by `saveState`. A missing file is normal; a corrupt one is reported. */
export function loadState(path: string): StateLoad {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { kind: 'missing' };
    return { kind: 'corrupt', error: describeError(e) };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { kind: 'corrupt', error: `not JSON: ${describeError(e)}` };
  }
  if (!isStateFile(data)) return { kind: 'corrupt', error: 'not a procpush state file (format or version mismatch)' };
  return { kind: 'ok', snapshot: data.collector, savedAtMs: data.savedAtMs, fingerprint: data.fingerprint };
}

/** Writes the state atomically: a temporary file in the same directory (written in chunks: base/memory.ts, writeJsonChunked), then rename. */
export function saveState(path: string, snapshot: CollectorSnapshot, nowMs: number, fingerprint: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const body: StateFile = { format: 'procpush-state', savedAtMs: nowMs, fingerprint, collector: snapshot };
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeJsonChunked((text) => {
      const bytes = Buffer.from(text, 'utf8');
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    }, body);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing more to clean up; the write error is what matters.
    }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
