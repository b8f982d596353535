/**
 * The state file on disk (the format is state-format.ts, the journal state-journal.ts): written
 * atomically (a temporary file with mode 0600, fsync, rename, fsync of the directory), read whole and
 * validated; the journal beside it (`<state>.journal`) is appended to without fsync (it guards against
 * the agent's own crash, not a power cut); a lock file (`<state>.lock`) keeps a second agent out.
 */

import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

import { writeFileAtomic } from '../base/atomic-file.js';
import { basename, dirname, join } from 'node:path';

import { acquireLockFile, type LockAttempt } from '../base/lock-file.js';
import { describeError, err, errnoCode, ok, type Result } from '../base/result.js';
import type { CollectorFloors } from './collector.js';
import { decodeState, encodeState, type StateDecodeFailure, type StateDocument } from './state-format.js';
import { journalHeader, replayJournal } from './state-journal.js';

export function journalPath(statePath: string): string {
  return `${statePath}.journal`;
}

export function lockPath(statePath: string): string {
  return `${statePath}.lock`;
}

export type StateLoad =
  | { readonly kind: 'missing' }
  | {
      readonly kind: 'ok';
      readonly doc: StateDocument;
      /** Lower bounds from the journal (a crash after the checkpoint), undefined when it holds none. */
      readonly floors: CollectorFloors | undefined;
      /** Records replayed from the journal. */
      readonly journalRecords: number;
      /** Why the journal was not used, when it exists and was not. */
      readonly journalProblem: string | undefined;
      /** The journal on disk belongs to this checkpoint (it can be appended to); with the names it numbered. */
      readonly journalMatches: boolean;
      readonly journalNames: readonly string[];
    }
  | { readonly kind: 'unreadable'; readonly error: string }
  | { readonly kind: 'invalid'; readonly failure: StateDecodeFailure };

/** Reads and validates the state file and its journal. Never throws. */
export function loadState(path: string): StateLoad {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { kind: 'missing' };
    return { kind: 'unreadable', error: describeError(e) };
  }
  const decoded = decodeState(bytes);
  if (!decoded.ok) return { kind: 'invalid', failure: decoded.error };
  const doc = decoded.value;
  let journal: Uint8Array;
  try {
    journal = readFileSync(journalPath(path));
  } catch (e) {
    const problem = errnoCode(e) === 'ENOENT' ? undefined : `cannot read ${journalPath(path)}: ${describeError(e)}`;
    return { kind: 'ok', doc, floors: undefined, journalRecords: 0, journalProblem: problem, journalMatches: false, journalNames: [] };
  }
  const replay = replayJournal(journal, doc.checkpointId);
  if (!replay.ok) return { kind: 'ok', doc, floors: undefined, journalRecords: 0, journalProblem: `${journalPath(path)}: ${replay.error}`, journalMatches: false, journalNames: [] };
  if (replay.value.kind === 'other-checkpoint') return { kind: 'ok', doc, floors: undefined, journalRecords: 0, journalProblem: undefined, journalMatches: false, journalNames: [] };
  // A torn tail is not appended to: the records after it would never be read.
  const matches = !replay.value.tornTail;
  if (replay.value.records === 0) return { kind: 'ok', doc, floors: undefined, journalRecords: 0, journalProblem: undefined, journalMatches: matches, journalNames: replay.value.names };
  return { kind: 'ok', doc, floors: replay.value.floors, journalRecords: replay.value.records, journalProblem: undefined, journalMatches: matches, journalNames: replay.value.names };
}

/**
 * Removes what an interrupted save left beside the state file (`<state>.tmp-<pid>`); call it while
 * holding the state's lock. Returns the names removed.
 */
export function removeStateTemps(path: string): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.tmp`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // left for the next start
    }
  }
  return removed;
}

/** Creates the state's directory (mode 0700) and takes its lock. */
export function lockState(path: string, nowMs: number): LockAttempt {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    return { ok: false, reason: 'error', message: `cannot create the directory of ${path}: ${describeError(e)}` };
  }
  return acquireLockFile(lockPath(path), nowMs);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** Writes `bytes` to `path` atomically and durably, mode 0600 (through `<path>.tmp-<pid>`). */
export function writeStateFile(path: string, bytes: Uint8Array): Result<void, string> {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    return err(describeError(e));
  }
  return writeFileAtomic(path, bytes, `${path}.tmp-${process.pid}`);
}

/** Encodes and writes a checkpoint. Returns the bytes written. */
export function saveState(path: string, doc: StateDocument): Result<number, string> {
  const bytes = encodeState(doc);
  const written = writeStateFile(path, bytes);
  return written.ok ? ok(bytes.length) : written;
}

/**
 * The journal beside the state file, appended to after every cycle and started over (truncated, with
 * the new checkpoint's id) after every checkpoint. Not fsynced: it covers a crash of the agent, whose
 * writes the page cache keeps. A failed write disables it until the next checkpoint.
 */
export class StateJournalFile {
  readonly path: string;
  #fd: number | undefined;

  constructor(statePath: string) {
    this.path = journalPath(statePath);
  }

  /** Starts the journal of a new checkpoint. */
  start(checkpointId: number): Result<void, string> {
    this.close();
    try {
      const fd = openSync(this.path, 'w', 0o600);
      this.#fd = fd;
      writeAll(fd, journalHeader(checkpointId));
      return ok(undefined);
    } catch (e) {
      this.close();
      return err(describeError(e));
    }
  }

  /** Goes on appending to the journal of the checkpoint a restore started from (whose records it keeps). */
  resume(checkpointId: number, matches: boolean): Result<void, string> {
    if (!matches) return this.start(checkpointId);
    this.close();
    try {
      this.#fd = openSync(this.path, 'a', 0o600);
      return ok(undefined);
    } catch (e) {
      return err(describeError(e));
    }
  }

  get open(): boolean {
    return this.#fd !== undefined;
  }

  append(bytes: Uint8Array): Result<void, string> {
    const fd = this.#fd;
    if (fd === undefined) return ok(undefined);
    try {
      writeAll(fd, bytes);
      return ok(undefined);
    } catch (e) {
      this.close();
      return err(describeError(e));
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // closing a file we only appended to: nothing to report
    }
    this.#fd = undefined;
  }

  /** Closes and deletes the journal (after a clean stop, whose checkpoint needs none). */
  remove(): void {
    this.close();
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
