/**
 * The on-disk form of the remote-write queue (`queue.dir`): one file per batch, written to a temp name,
 * fsynced and renamed into place, so a file either exists whole or not at all, whatever the moment of a
 * crash. Names are a 16-digit sequence number (`0000000000000042.rwq`): the queue order. A file is
 * deleted once its batch is acknowledged, rejected for good, or dropped by the queue bounds.
 *
 * File layout (little-endian), version 1:
 *
 *     0   4  magic "PPRW"
 *     4   2  version (1)
 *     6   2  reserved (0)
 *     8   8  float64: timestamp of the oldest sample (ms since the epoch; an integer)
 *    16   8  float64: timestamp of the newest sample
 *    24   4  uint32: chunk count N
 *    28   4  uint32: samples in the batch (the sum over the chunks)
 *    32  8N  per chunk: uint32 byte length, uint32 samples
 *     …      the chunks: pre-encoded `WriteRequest` fields (uncompressed); concatenated they are the
 *            WriteRequest the batch sends (snappy-compressed when sent)
 *   end-4  4  uint32: CRC-32 (IEEE) of every byte before it
 *
 * A file that is too short, has the wrong magic or version, inconsistent lengths or a bad CRC is
 * reported as corrupt, deleted and its samples (when the header is readable) counted as dropped.
 */

import { join } from 'node:path';

import { crc32 } from '../../base/binary.js';
import { err, ok, type Result } from '../../base/result.js';
import type { DirLock, QueueFs } from '../deps.js';
import type { Chunk } from './encode-write-request.js';

export const QUEUE_FILE_MAGIC = 'PPRW';
export const QUEUE_FILE_VERSION = 1;
const HEADER_BYTES = 32;
const CHUNK_ENTRY_BYTES = 8;
const CRC_BYTES = 4;
const FILE_RE = /^(\d{16})\.rwq$/;
const TEMP_RE = /^\d{16}\.rwq\.tmp$/;
/** The lock file that keeps a second process out (see base/lock-file.ts). */
export const QUEUE_LOCK_FILE = 'procpush.lock';
/**
 * Highest sequence number a file may have: far more than any queue writes (one file a second for 30
 * million years), far below 2^53, so a name above it is junk (it would push the sequence past where
 * numbers are exact and make new files collide).
 */
export const MAX_QUEUE_SEQ = 1e15;

/** What one queue file holds. */
export interface QueueRecord {
  readonly minTimestampMs: number;
  readonly maxTimestampMs: number;
  readonly chunks: readonly Chunk[];
}

// ---------------------------------------------------------------------------------------------------
// Encoding. Pure.

export function encodeQueueRecord(record: QueueRecord): Uint8Array {
  let bodyBytes = 0;
  let samples = 0;
  for (const c of record.chunks) {
    bodyBytes += c.bytes.length;
    samples += c.samples;
  }
  const n = record.chunks.length;
  const total = HEADER_BYTES + CHUNK_ENTRY_BYTES * n + bodyBytes + CRC_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set(Buffer.from(QUEUE_FILE_MAGIC, 'latin1'), 0);
  view.setUint16(4, QUEUE_FILE_VERSION, true);
  view.setFloat64(8, record.minTimestampMs, true);
  view.setFloat64(16, record.maxTimestampMs, true);
  view.setUint32(24, n, true);
  view.setUint32(28, samples, true);
  let at = HEADER_BYTES;
  for (const c of record.chunks) {
    view.setUint32(at, c.bytes.length, true);
    view.setUint32(at + 4, c.samples, true);
    at += CHUNK_ENTRY_BYTES;
  }
  for (const c of record.chunks) {
    out.set(c.bytes, at);
    at += c.bytes.length;
  }
  view.setUint32(at, crc32(out, at), true);
  return out;
}

export interface DecodeFailure {
  readonly reason: string;
  /** Samples the header claims, when the header itself is readable (for the dropped count). */
  readonly samples: number;
}

/** Parses and checks a queue file. Chunks are views into `bytes` (no copy). */
export function decodeQueueRecord(bytes: Uint8Array): Result<QueueRecord, DecodeFailure> {
  const fail = (reason: string, samples = 0): { readonly ok: false; readonly error: DecodeFailure } => err({ reason, samples });
  if (bytes.length < HEADER_BYTES + CRC_BYTES) return fail(`truncated: ${bytes.length} bytes, shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== QUEUE_FILE_MAGIC) return fail('not a procpush queue file (bad magic)');
  const version = view.getUint16(4, true);
  if (version !== QUEUE_FILE_VERSION) return fail(`unsupported queue file version ${version}`);
  const minTimestampMs = view.getFloat64(8, true);
  const maxTimestampMs = view.getFloat64(16, true);
  const n = view.getUint32(24, true);
  const samples = view.getUint32(28, true);
  const tableEnd = HEADER_BYTES + CHUNK_ENTRY_BYTES * n;
  if (tableEnd + CRC_BYTES > bytes.length) return fail(`truncated: the chunk table of ${n} entries does not fit in ${bytes.length} bytes`, samples);
  const crcAt = bytes.length - CRC_BYTES;
  if (crc32(bytes, crcAt) !== view.getUint32(crcAt, true)) return fail('CRC mismatch (truncated or damaged)', samples);
  if (!Number.isSafeInteger(minTimestampMs) || !Number.isSafeInteger(maxTimestampMs) || minTimestampMs > maxTimestampMs) {
    return fail('invalid timestamps', samples);
  }
  const chunks: Chunk[] = [];
  let at = tableEnd;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const len = view.getUint32(HEADER_BYTES + CHUNK_ENTRY_BYTES * i, true);
    const s = view.getUint32(HEADER_BYTES + CHUNK_ENTRY_BYTES * i + 4, true);
    if (at + len > crcAt) return fail('chunk lengths exceed the file', samples);
    chunks.push({ bytes: bytes.subarray(at, at + len), samples: s });
    at += len;
    sum += s;
  }
  if (at !== crcAt) return fail('chunk lengths do not add up to the file size', samples);
  if (sum !== samples) return fail('chunk samples do not add up to the header', samples);
  return ok({ minTimestampMs, maxTimestampMs, chunks });
}

export function queueFileName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.rwq`;
}

// ---------------------------------------------------------------------------------------------------
// The directory.

/** A file of the queue; shared by the halves of a batch split after a 413, deleted when the last one is done. */
export class QueueFile {
  readonly path: string;
  readonly #dir: QueueDir;
  #refs = 1;

  constructor(dir: QueueDir, path: string) {
    this.#dir = dir;
    this.path = path;
  }

  /** Reads the file back and checks it. */
  read(): Result<QueueRecord, DecodeFailure> {
    return this.#dir.readFile(this.path);
  }

  /** One more batch refers to this file (a split). */
  retain(): void {
    this.#refs += 1;
  }

  /** A batch referring to this file is done; the file is deleted when none is left. */
  release(): void {
    this.#refs -= 1;
    if (this.#refs === 0) this.#dir.removeFile(this.path);
  }
}

export interface LoadedFile {
  readonly file: QueueFile;
  readonly record: QueueRecord;
}

export interface LoadReport {
  /** Valid files in queue order. */
  readonly files: readonly LoadedFile[];
  /** Corrupt files found (and deleted). */
  readonly corrupt: readonly { readonly name: string; readonly reason: string; readonly samples: number }[];
  /** Leftover temp files of interrupted writes (deleted). */
  readonly tempFiles: number;
  /** Files procpush did not write: names of queue files out of range (deleted), anything else (left alone). */
  readonly junk: { readonly deleted: readonly string[]; readonly ignored: readonly string[] };
}

/**
 * One queue directory. Not opened by the constructor: `open` takes the process-wide lock of the
 * directory (waiting up to a deadline), loads what it holds, and from then on `append` writes new
 * files after the loaded ones. `close` releases the lock and leaves the files for the next owner.
 */
export class QueueDir {
  readonly dir: string;
  readonly #fs: QueueFs;
  readonly #onRemoveError: (path: string, error: string) => void;
  #lock: DirLock | undefined;
  #nextSeq = 1;

  constructor(dir: string, fs: QueueFs, onRemoveError: (path: string, error: string) => void) {
    this.dir = dir;
    this.#fs = fs;
    this.#onRemoveError = onRemoveError;
  }

  get isOpen(): boolean {
    return this.#lock !== undefined;
  }

  /**
   * Takes the directory (waiting while another sink of this process holds it, until `deadlineMs`) and
   * loads it. `busy`: still held at the deadline; try again later. Another process holding it is an error.
   */
  async open(input: {
    readonly deadlineMs: number;
    readonly nowMs: () => number;
    readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
    readonly signal?: AbortSignal;
  }): Promise<Result<LoadReport, string> | 'busy'> {
    if (this.#lock !== undefined) return err('queue directory already open');
    for (;;) {
      const lock = this.#fs.tryLock(this.dir);
      if (lock.kind === 'refused') return err(lock.error);
      if (lock.kind === 'locked') {
        const loaded = this.#load();
        if (loaded.ok) this.#lock = lock.lock;
        else lock.lock.release();
        return loaded;
      }
      const remaining = input.deadlineMs - input.nowMs();
      if (remaining <= 0 || input.signal?.aborted === true) return 'busy';
      const wait = new AbortController();
      const onAbort = (): void => {
        wait.abort();
      };
      input.signal?.addEventListener('abort', onAbort, { once: true });
      // Whichever comes first: the holder lets go, the deadline, or the caller gives up.
      await Promise.race([this.#fs.whenUnlocked(this.dir).then(onAbort), input.sleep(remaining, wait.signal)]);
      wait.abort();
      input.signal?.removeEventListener('abort', onAbort);
    }
  }

  #load(): Result<LoadReport, string> {
    const made = this.#fs.mkdirp(this.dir);
    if (!made.ok) return err(`cannot create queue directory ${this.dir}: ${made.error}`);
    const names = this.#fs.list(this.dir);
    if (!names.ok) return err(`cannot list queue directory ${this.dir}: ${names.error}`);
    const seqs: { seq: number; name: string }[] = [];
    let tempFiles = 0;
    const deleted: string[] = [];
    const ignored: string[] = [];
    for (const name of names.value) {
      const m = FILE_RE.exec(name);
      const seq = m === null ? Number.NaN : Number(m[1]);
      if (m !== null && seq >= 1 && seq <= MAX_QUEUE_SEQ) seqs.push({ seq, name });
      else if (m !== null) {
        deleted.push(name);
        this.removeFile(join(this.dir, name));
      } else if (TEMP_RE.test(name)) {
        tempFiles += 1;
        this.removeFile(join(this.dir, name));
      } else if (name !== QUEUE_LOCK_FILE) {
        ignored.push(name);
      }
    }
    seqs.sort((a, b) => a.seq - b.seq);
    const files: LoadedFile[] = [];
    const corrupt: { name: string; reason: string; samples: number }[] = [];
    for (const { seq, name } of seqs) {
      const path = join(this.dir, name);
      const record = this.readFile(path);
      if (record.ok) files.push({ file: new QueueFile(this, path), record: record.value });
      else {
        corrupt.push({ name, reason: record.error.reason, samples: record.error.samples });
        this.removeFile(path);
      }
      this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
    }
    return ok({ files, corrupt, tempFiles, junk: { deleted, ignored } });
  }

  /**
   * Writes a new file at the end of the queue. A directory deleted meanwhile is created again (with
   * its lock): `recreated` says so.
   */
  append(record: QueueRecord): Result<{ readonly file: QueueFile; readonly recreated: boolean }, string> {
    const lock = this.#lock;
    if (lock === undefined) return err('queue directory not open');
    const bytes = encodeQueueRecord(record);
    let recreated = false;
    for (;;) {
      const path = join(this.dir, queueFileName(this.#nextSeq));
      this.#nextSeq += 1; // never reused, even after a failed write
      const written = this.#fs.writeAtomic(path, bytes);
      if (written.ok) return ok({ file: new QueueFile(this, path), recreated });
      if (recreated || this.#fs.list(this.dir).ok) return err(`cannot write ${path}: ${written.error}`);
      const renewed = lock.renew();
      if (!renewed.ok) return err(`queue directory ${this.dir} is gone and cannot be created again: ${renewed.error}`);
      recreated = true;
    }
  }

  readFile(path: string): Result<QueueRecord, DecodeFailure> {
    const bytes = this.#fs.read(path);
    if (!bytes.ok) return err({ reason: `cannot read: ${bytes.error}`, samples: 0 });
    return decodeQueueRecord(bytes.value);
  }

  removeFile(path: string): void {
    const r = this.#fs.remove(path);
    if (!r.ok) this.#onRemoveError(path, r.error);
  }

  /** Lets go of the directory; its files stay for the next owner. */
  close(): void {
    this.#lock?.release();
    this.#lock = undefined;
  }
}
