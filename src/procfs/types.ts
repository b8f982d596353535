/**
 * What procpush reads from /proc, in the kernel's units unless the field name says otherwise.
 * CPU times are converted with USER_HZ = 100, as process-exporter does (it never asks sysconf).
 */

/** Parsed `/proc/<pid>/stat` (or `/proc/<pid>/task/<tid>/stat`). Field numbers are proc(5)'s. */
export interface ProcStat {
  readonly pid: number;
  /** Field 2: the text between the first `(` and the last `)`; at most 15 bytes on a real kernel. */
  readonly comm: string;
  /** Field 3: one character, e.g. `R`, `S`, `D`, `Z`, `T`, `I`. */
  readonly state: string;
  /** Field 4. */
  readonly ppid: number;
  /** Field 10. */
  readonly minflt: number;
  /** Field 12. */
  readonly majflt: number;
  /** Field 14, clock ticks. */
  readonly utime: number;
  /** Field 15, clock ticks. */
  readonly stime: number;
  /** Field 20. */
  readonly numThreads: number;
  /** Field 22, clock ticks since boot. Together with the pid it identifies a process. */
  readonly starttime: number;
  /** Field 23, bytes. */
  readonly vsize: number;
  /** Field 24, pages. */
  readonly rss: number;
}

/** The fields of `/proc/<pid>/status` that the metrics use. */
export interface ProcStatus {
  /** Second value of `Uid:` (the effective uid). */
  readonly euid: number;
  /** `VmSwap:` converted to bytes; 0 when absent (kernel threads). */
  readonly vmSwapBytes: number;
  readonly voluntaryCtxtSwitches: number;
  readonly nonvoluntaryCtxtSwitches: number;
}

/** `/proc/<pid>/io`: storage-layer bytes (`read_bytes`, `write_bytes`), not rchar/wchar. */
export interface ProcIo {
  readonly readBytes: number;
  readonly writeBytes: number;
}

/** `smaps_rollup` (or the sum over `smaps`): `Pss` and `SwapPss` in bytes. */
export interface ProcSmaps {
  readonly pssBytes: number;
  readonly swapPssBytes: number;
}

export type { Counts, Memory, States } from '../base/process.js';
import type { Counts, Memory } from '../base/process.js';

/** Per-process metrics read each cycle. */
export interface ProcMetrics {
  readonly counts: Counts;
  readonly memory: Memory;
  /** Open fds, -1 when the fd directory could not be listed. */
  readonly openFds: number;
  /** Soft `Max open files`; `unlimited` is 2^64-1 (as a float). */
  readonly fdLimit: number;
  readonly numThreads: number;
  /** The process's own state letter (stat field 3). */
  readonly state: string;
  /** Content of `/proc/<pid>/wchan`; "" when unreadable or "0". */
  readonly wchan: string;
}

/** One thread of a multi-threaded process (`/proc/<pid>/task/<tid>`). */
export interface ThreadSample {
  readonly tid: number;
  readonly starttime: number;
  /** The thread's comm. */
  readonly name: string;
  readonly counts: Counts;
  readonly state: string;
  /** "" when unreadable or "0". */
  readonly wchan: string;
}

/** Data read once, when a process is first seen, to name it. */
export interface ProcStatic {
  readonly comm: string;
  /** argv: `/proc/<pid>/cmdline` with trailing NULs trimmed, split on NUL. Empty for kernel threads and zombies. */
  readonly cmdline: readonly string[];
  readonly ppid: number;
  /** btime (whole seconds) + starttime × 10 ms, as milliseconds since the epoch. */
  readonly startTimeMs: number;
  readonly euid: number;
  /** Third `:`-separated field of each line of `/proc/<pid>/cgroup`, in file order. */
  readonly cgroups: readonly string[];
}

export type MetricsRead =
  | {
      readonly kind: 'ok';
      readonly metrics: ProcMetrics;
      /** Some soft file (io, fd, wchan, smaps) failed. */
      readonly partial: boolean;
      /**
       * smaps was not read because the caller asked so (`skipSmaps`): the proportional memory fields
       * are 0 and mean "unknown", not "none". Absent or false otherwise.
       */
      readonly smapsSkipped?: boolean;
    }
  | { readonly kind: 'failed'; /** The process was gone (ENOENT/ESRCH) rather than unreadable. */ readonly vanished: boolean };

export interface ThreadsRead {
  /** Threads of a process with at least 2 readable threads, else undefined. */
  readonly threads: readonly ThreadSample[] | undefined;
  /** The task/ listing failed. */
  readonly partial: boolean;
}

export interface ReadMetricsOptions {
  /** Do not read smaps this time (the caller keeps the last value, `smaps_every`). */
  readonly skipSmaps?: boolean;
}

/**
 * Source of process data: the real /proc under a root (see `ProcfsReader`) or an in-memory fake in tests.
 * Every method tolerates a process that vanished: it returns undefined / a failed read, never throws.
 *
 * What listPids, readStat and readMetrics return may be reused by the next call of the same method (the reader
 * fills the same objects every time, so a cycle allocates nothing per process that outlives it):
 * use it at once and copy what must be kept. ProcStatic, ThreadSample and ThreadsRead are not reused.
 */
export interface ProcSource {
  /** Numeric entries of the root, or an error message when the root cannot be listed. */
  listPids(): { readonly ok: true; readonly pids: readonly number[] } | { readonly ok: false; readonly error: string };
  /** `/proc/<pid>/stat`, or undefined when unreadable. */
  readStat(pid: number): ProcStat | undefined;
  /** stat (given), status, io, fd count, limits, wchan and smaps (when enabled and not skipped). */
  readMetrics(pid: number, stat: ProcStat, options?: ReadMetricsOptions): MetricsRead;
  /** task/<tid>/{stat,status,io,wchan}. */
  readThreads(pid: number): ThreadsRead;
  /** cmdline, status (euid), cgroup. Undefined when the process vanished. */
  readStatic(pid: number, stat: ProcStat): ProcStatic | undefined;
  /** btime from `<root>/stat`, seconds since the epoch. */
  readonly bootTimeSeconds: number;
}
