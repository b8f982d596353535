/**
 * A writable synthetic procfs tree built from a model, for tests that run a real exporter
 * (`prometheus-process-exporter -procfs DIR`, `procpush serve --procfs DIR`) against it.
 *
 * Every file is written in the exact layout the Linux kernel produces (checked against a 6.x
 * kernel) and that Go's prometheus/procfs 0.8.0 (the version Debian's process-exporter 0.7.10 is
 * built with) parses:
 *   - `stat`: 52 space-separated fields, comm between the first `(` and the last `)`;
 *   - `status`: `Key:\tvalue` lines, `Uid:`/`Gid:` as 4 tab-separated ids, memory in `kB`;
 *   - `io`: the 7 `key: value` lines (procfs' Sscanf needs all of them, in order);
 *   - `limits`: the kernel's fixed-width table (`%-25s %-20s %-20s %-10s`);
 *   - `smaps_rollup`: a `[rollup]` header line, then `Key:` padded to 16 and the value to 8, ` kB`;
 *   - `cmdline`: NUL-terminated argv; empty for kernel threads and zombies;
 *   - `wchan`: the symbol without newline, `0` when running.
 *
 * The tree is a pure function of the model: same model, same bytes (nothing reads the clock).
 */
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Files of `/proc/<pid>` that can be left out to simulate failures. */
export type ProcFile =
  | 'stat'
  | 'status'
  | 'io'
  | 'limits'
  | 'cmdline'
  | 'cgroup'
  | 'wchan'
  | 'smaps'
  | 'fd'
  | 'task'
  | 'comm';

/** What kind of task the kernel would show; drives the defaults of the files. */
export type ProcessKind = 'user' | 'kernel' | 'zombie';

/** One task of a multi-threaded process (`/proc/<pid>/task/<tid>`). Counters are the thread's own. */
export interface ThreadSpec {
  readonly tid: number;
  /** The thread's comm (`task/<tid>/stat` field 2); at most 15 bytes on a real kernel. */
  readonly name: string;
  readonly state: string;
  /** Clock ticks since boot. */
  readonly starttime: number;
  readonly utime: number;
  readonly stime: number;
  readonly minflt: number;
  readonly majflt: number;
  readonly readBytes: number;
  readonly writeBytes: number;
  readonly ctxVol: number;
  readonly ctxNonvol: number;
  /** `task/<tid>/wchan`; `0` when running. */
  readonly wchan: string;
}

export type ThreadInput = Pick<ThreadSpec, 'tid' | 'name'> & Partial<Omit<ThreadSpec, 'tid' | 'name'>>;

export interface ProcessSpec {
  readonly pid: number;
  readonly kind: ProcessKind;
  /** stat comm; a real kernel truncates it to 15 bytes (the model does not, to allow odd cases). */
  readonly comm: string;
  /** argv; `[]` gives an empty cmdline file. */
  readonly cmdline: readonly string[];
  /** When set, written to `cmdline` verbatim instead of the NUL-joined argv (setproctitle cases). */
  readonly rawCmdline: string | undefined;
  readonly ppid: number;
  /** stat field 3: R, S, D, Z, T, t, I, X, P… */
  readonly state: string;
  /** Real uid (first value of `Uid:`). */
  readonly uid: number;
  /** Effective uid (second value of `Uid:`), the one `{{.Username}}` uses. */
  readonly euid: number;
  /** Clock ticks since boot (stat field 22). */
  readonly starttime: number;
  readonly utime: number;
  readonly stime: number;
  readonly minflt: number;
  readonly majflt: number;
  /** Pages. */
  readonly rss: number;
  /** Bytes. */
  readonly vsize: number;
  readonly vmSwapKb: number;
  readonly readBytes: number;
  readonly writeBytes: number;
  /** `/proc/<pid>/status` context switches: the main thread's own, as on a real kernel. */
  readonly ctxVol: number;
  readonly ctxNonvol: number;
  /** Number of entries in `fd/`. */
  readonly fds: number;
  /** Soft `Max open files`. */
  readonly fdLimit: number | 'unlimited';
  readonly wchan: string;
  /** kB. */
  readonly pss: number;
  /** kB. */
  readonly swapPss: number;
  /** Lines of `/proc/<pid>/cgroup`, e.g. `0::/system.slice/x.service`. */
  readonly cgroup: readonly string[];
  /**
   * All tasks including the main one (tid === pid) for a multi-threaded process. When undefined the
   * process has the single task `task/<pid>` mirroring the process's own files. When the list lacks
   * the main thread, one is added with the process's name, state, wchan and context switches.
   */
  readonly threads: readonly ThreadSpec[] | undefined;
  /** stat num_threads; defaults to the number of tasks. */
  readonly numThreads: number | undefined;
  /**
   * Files left out of `/proc/<pid>` (`smaps` removes both `smaps_rollup` and `smaps`): reading
   * them fails with ENOENT, as for a process that vanished mid-read (or a kernel without the file).
   */
  readonly omit: readonly ProcFile[];
  /**
   * Files that exist but cannot be read: a directory in place of the file (EISDIR; for `fd` a
   * regular file in place of the directory, ENOTDIR). A permission-like failure that is not
   * "vanished", and that works even when the tests run as root. Not for `task`.
   */
  readonly unreadable: readonly ProcFile[];
  /** Write `smaps` (two mappings summing to pss/swapPss) instead of `smaps_rollup`. */
  readonly smapsWithoutRollup: boolean;
}

export type ProcessInput = Pick<ProcessSpec, 'pid' | 'comm'> &
  Partial<Omit<ProcessSpec, 'pid' | 'comm' | 'threads' | 'rawCmdline' | 'numThreads'>> & {
    readonly threads?: readonly ThreadInput[];
    readonly rawCmdline?: string;
    readonly numThreads?: number;
  };

export type ProcessUpdate = Partial<Omit<ProcessSpec, 'pid' | 'threads' | 'rawCmdline' | 'numThreads'>> & {
  /** Replaces the whole thread list; `null` makes the process single-threaded again. */
  readonly threads?: readonly ThreadInput[] | null;
  readonly rawCmdline?: string | null;
  readonly numThreads?: number | null;
};

export interface SystemStat {
  /** Boot time, seconds since the epoch. */
  readonly btime: number;
  readonly cpus: number;
}

const STATE_NAMES: Readonly<Record<string, string>> = {
  R: 'R (running)',
  S: 'S (sleeping)',
  D: 'D (disk sleep)',
  T: 'T (stopped)',
  t: 't (tracing stop)',
  X: 'X (dead)',
  Z: 'Z (zombie)',
  P: 'P (parked)',
  I: 'I (idle)',
};

const U64_MAX = '18446744073709551615';

/** Marks a file rendered as a directory (unreadable: EISDIR). */
/** The content of a file that exists but cannot be read: a directory is written in its place. */
export const UNREADABLE = '\0unreadable';

/** `fd/` on disk: n symlinks, absent, or a regular file. */
export type FdState = number | 'missing' | 'file';

function defaults(input: ProcessInput): ProcessSpec {
  const kind = input.kind ?? 'user';
  const userLike = kind === 'user';
  const base: ProcessSpec = {
    pid: input.pid,
    kind,
    comm: input.comm,
    cmdline: userLike ? [input.comm] : [],
    rawCmdline: undefined,
    ppid: kind === 'kernel' ? 2 : 1,
    state: kind === 'zombie' ? 'Z' : kind === 'kernel' ? 'I' : 'S',
    uid: 0,
    euid: input.uid ?? 0,
    starttime: 0,
    utime: 0,
    stime: 0,
    minflt: 0,
    majflt: 0,
    rss: 0,
    vsize: 0,
    vmSwapKb: 0,
    readBytes: 0,
    writeBytes: 0,
    ctxVol: 0,
    ctxNonvol: 0,
    fds: 0,
    fdLimit: 1024,
    wchan: kind === 'user' ? 'do_select' : kind === 'kernel' ? 'worker_thread' : '0',
    pss: 0,
    swapPss: 0,
    cgroup: ['0::/'],
    threads: undefined,
    numThreads: undefined,
    omit: kind === 'user' ? [] : kind === 'kernel' ? ['io', 'smaps'] : ['smaps'],
    unreadable: [],
    smapsWithoutRollup: false,
  };
  const { threads, rawCmdline, numThreads, ...rest } = input;
  const spec: ProcessSpec = {
    ...base,
    ...rest,
    rawCmdline,
    numThreads,
    threads: threads === undefined ? undefined : threads.map((t) => threadDefaults(t, input.starttime ?? 0)),
  };
  return withMainThread(spec);
}

function threadDefaults(t: ThreadInput, processStart: number): ThreadSpec {
  return {
    state: 'S',
    starttime: processStart,
    utime: 0,
    stime: 0,
    minflt: 0,
    majflt: 0,
    readBytes: 0,
    writeBytes: 0,
    ctxVol: 0,
    ctxNonvol: 0,
    wchan: 'futex_wait_queue',
    ...t,
  };
}

function withMainThread(spec: ProcessSpec): ProcessSpec {
  if (spec.threads === undefined || spec.threads.some((t) => t.tid === spec.pid)) return spec;
  const main: ThreadSpec = threadDefaults({ tid: spec.pid, name: spec.comm }, spec.starttime);
  return { ...spec, threads: [main, ...spec.threads] };
}

/**
 * The task list the kernel would show: the given threads, or the single main task. The main task
 * (tid === pid) is the same kernel task as the process, so its name, state, wchan and context
 * switches are always the process's own.
 */
export function tasksOf(spec: ProcessSpec): readonly ThreadSpec[] {
  if (spec.threads !== undefined) {
    return spec.threads.map((t) =>
      t.tid === spec.pid
        ? { ...t, name: spec.comm, state: spec.state, wchan: spec.wchan, ctxVol: spec.ctxVol, ctxNonvol: spec.ctxNonvol }
        : t,
    );
  }
  return [
    {
      tid: spec.pid,
      name: spec.comm,
      state: spec.state,
      starttime: spec.starttime,
      utime: spec.utime,
      stime: spec.stime,
      minflt: spec.minflt,
      majflt: spec.majflt,
      readBytes: spec.readBytes,
      writeBytes: spec.writeBytes,
      ctxVol: spec.ctxVol,
      ctxNonvol: spec.ctxNonvol,
      wchan: spec.wchan,
    },
  ];
}

/** Context switches as process-exporter reads them: the sum over tasks when there are ≥2, else status. */
export function ctxSwitchesOf(spec: ProcessSpec): { readonly vol: number; readonly nonvol: number } {
  const tasks = tasksOf(spec);
  if (tasks.length < 2 || spec.omit.includes('task')) return { vol: spec.ctxVol, nonvol: spec.ctxNonvol };
  return {
    vol: tasks.reduce((a, t) => a + t.ctxVol, 0),
    nonvol: tasks.reduce((a, t) => a + t.ctxNonvol, 0),
  };
}

interface StatFields {
  readonly id: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly minflt: number;
  readonly majflt: number;
  readonly utime: number;
  readonly stime: number;
  readonly numThreads: number;
  readonly starttime: number;
  readonly vsize: number;
  readonly rss: number;
  readonly kernel: boolean;
}

/** `/proc/<pid>/stat` as `do_task_stat()` prints it (52 fields, newline-terminated). */
export function renderStat(f: StatFields): string {
  const k = f.kernel;
  const fields: (string | number)[] = [
    f.id,
    `(${f.comm})`,
    f.state,
    f.ppid,
    k ? 0 : f.ppid, // pgrp
    k ? 0 : f.ppid, // session
    0, // tty_nr
    -1, // tpgid
    k ? 2129984 : 4194304, // flags
    f.minflt,
    0, // cminflt
    f.majflt,
    0, // cmajflt
    f.utime,
    f.stime,
    0, // cutime
    0, // cstime
    20, // priority
    0, // nice
    f.numThreads,
    0, // itrealvalue
    f.starttime,
    f.vsize,
    f.rss,
    U64_MAX, // rsslim
    k ? 0 : 94060621860864, // startcode
    k ? 0 : 94060621880745, // endcode
    k ? 0 : 140734080935600, // startstack
    0, // kstkesp
    0, // kstkeip
    0, // signal
    0, // blocked
    k ? 2147483647 : 0, // sigignore
    0, // sigcatch
    0, // wchan (always 0 since 4.x)
    0, // nswap
    0, // cnswap
    17, // exit_signal
    1, // processor
    0, // rt_priority
    0, // policy
    0, // delayacct_blkio_ticks
    0, // guest_time
    0, // cguest_time
    k ? 0 : 94060621896752, // start_data
    k ? 0 : 94060621898368, // end_data
    k ? 0 : 94061064372224, // start_brk
    k ? 0 : 140734080936672, // arg_start
    k ? 0 : 140734080936692, // arg_end
    k ? 0 : 140734080936692, // env_start
    k ? 0 : 140734080937963, // env_end
    0, // exit_code
  ];
  return `${fields.join(' ')}\n`;
}

/** status `Name:` escaping (`proc_task_name(..., escape=true)`). */
function escapeStatusName(name: string): string {
  return name.replace(/[\\\n\t"]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\${c}`));
}

interface StatusFields {
  readonly name: string;
  readonly state: string;
  readonly tgid: number;
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly euid: number;
  readonly threads: number;
  readonly withMm: boolean;
  readonly kernel: boolean;
  readonly vsizeKb: number;
  readonly rssKb: number;
  readonly vmSwapKb: number;
  readonly ctxVol: number;
  readonly ctxNonvol: number;
}

function kb(v: number): string {
  return `${String(v).padStart(8)} kB`;
}

/** `/proc/<pid>/status` in the order `proc_pid_status()` prints it. */
export function renderStatus(f: StatusFields): string {
  const ids = (a: number, b: number): string => `${a}\t${b}\t${b}\t${b}`;
  const lines = [
    `Name:\t${escapeStatusName(f.name)}`,
    'Umask:\t0022',
    `State:\t${STATE_NAMES[f.state] ?? `${f.state} (unknown)`}`,
    `Tgid:\t${f.tgid}`,
    'Ngid:\t0',
    `Pid:\t${f.pid}`,
    `PPid:\t${f.ppid}`,
    'TracerPid:\t0',
    `Uid:\t${ids(f.uid, f.euid)}`,
    `Gid:\t${ids(f.uid, f.euid)}`,
    `FDSize:\t${f.kernel ? 64 : 256}`,
    'Groups:\t ',
    `NStgid:\t${f.tgid}`,
    `NSpid:\t${f.pid}`,
    `NSpgid:\t${f.kernel ? 0 : f.ppid}`,
    `NSsid:\t${f.kernel ? 0 : f.ppid}`,
    `Kthread:\t${f.kernel ? 1 : 0}`,
  ];
  if (f.withMm) {
    lines.push(
      `VmPeak:\t${kb(f.vsizeKb)}`,
      `VmSize:\t${kb(f.vsizeKb)}`,
      `VmLck:\t${kb(0)}`,
      `VmPin:\t${kb(0)}`,
      `VmHWM:\t${kb(f.rssKb)}`,
      `VmRSS:\t${kb(f.rssKb)}`,
      `RssAnon:\t${kb(Math.floor(f.rssKb / 4))}`,
      `RssFile:\t${kb(f.rssKb - Math.floor(f.rssKb / 4))}`,
      `RssShmem:\t${kb(0)}`,
      `VmData:\t${kb(Math.floor(f.vsizeKb / 8))}`,
      `VmStk:\t${kb(132)}`,
      `VmExe:\t${kb(20)}`,
      `VmLib:\t${kb(1528)}`,
      `VmPTE:\t${kb(48)}`,
      `VmSwap:\t${kb(f.vmSwapKb)}`,
      `HugetlbPages:\t${kb(0)}`,
      'CoreDumping:\t0',
      'THP_enabled:\t1',
      'untag_mask:\t0xffffffffffffffff',
    );
  }
  lines.push(
    `Threads:\t${f.threads}`,
    'SigQ:\t0/96365',
    'SigPnd:\t0000000000000000',
    'ShdPnd:\t0000000000000000',
    'SigBlk:\t0000000000000000',
    `SigIgn:\t${f.kernel ? 'ffffffffffffffff' : '0000000000000000'}`,
    'SigCgt:\t0000000000000000',
    'CapInh:\t0000000000000000',
    'CapPrm:\t000001ffffffffff',
    'CapEff:\t000001ffffffffff',
    'CapBnd:\t000001ffffffffff',
    'CapAmb:\t0000000000000000',
    'NoNewPrivs:\t0',
    'Seccomp:\t0',
    'Seccomp_filters:\t0',
    'Speculation_Store_Bypass:\tvulnerable',
    'SpeculationIndirectBranch:\talways enabled',
    'Cpus_allowed:\t3',
    'Cpus_allowed_list:\t0-1',
    'Mems_allowed:\t00000000,00000001',
    'Mems_allowed_list:\t0',
    `voluntary_ctxt_switches:\t${f.ctxVol}`,
    `nonvoluntary_ctxt_switches:\t${f.ctxNonvol}`,
  );
  return `${lines.join('\n')}\n`;
}

/** `/proc/<pid>/io` (`do_io_accounting()`). */
export function renderIo(readBytes: number, writeBytes: number): string {
  return [
    `rchar: ${readBytes + 6976}`,
    `wchar: ${writeBytes + 512}`,
    `syscr: ${Math.floor(readBytes / 4096) + 10}`,
    `syscw: ${Math.floor(writeBytes / 4096) + 1}`,
    `read_bytes: ${readBytes}`,
    `write_bytes: ${writeBytes}`,
    'cancelled_write_bytes: 0',
    '',
  ].join('\n');
}

/** `/proc/<pid>/limits` (`proc_pid_limits()`), with the given soft/hard `Max open files`. */
export function renderLimits(fdLimit: number | 'unlimited'): string {
  const soft = String(fdLimit);
  const hard = fdLimit === 'unlimited' ? 'unlimited' : String(Math.max(fdLimit, 4096));
  const rows: readonly (readonly [string, string, string, string])[] = [
    ['Max cpu time', 'unlimited', 'unlimited', 'seconds'],
    ['Max file size', 'unlimited', 'unlimited', 'bytes'],
    ['Max data size', 'unlimited', 'unlimited', 'bytes'],
    ['Max stack size', '8388608', 'unlimited', 'bytes'],
    ['Max core file size', '0', 'unlimited', 'bytes'],
    ['Max resident set', 'unlimited', 'unlimited', 'bytes'],
    ['Max processes', '96365', '96365', 'processes'],
    ['Max open files', soft, hard, 'files'],
    ['Max locked memory', '8388608', '8388608', 'bytes'],
    ['Max address space', 'unlimited', 'unlimited', 'bytes'],
    ['Max file locks', 'unlimited', 'unlimited', 'locks'],
    ['Max pending signals', '96365', '96365', 'signals'],
    ['Max msgqueue size', '819200', '819200', 'bytes'],
    ['Max nice priority', '0', '0', ''],
    ['Max realtime priority', '0', '0', ''],
    ['Max realtime timeout', 'unlimited', 'unlimited', 'us'],
  ];
  const line = (a: string, b: string, c: string, d: string): string =>
    `${a.padEnd(25)} ${b.padEnd(20)} ${c.padEnd(20)} ${d === '' ? '' : d.padEnd(10)}`;
  return [line('Limit', 'Soft Limit', 'Hard Limit', 'Units'), ...rows.map((r) => line(...r)), ''].join('\n');
}

const ROLLUP_KEYS = [
  'Rss',
  'Pss',
  'Pss_Dirty',
  'Pss_Anon',
  'Pss_File',
  'Pss_Shmem',
  'Shared_Clean',
  'Shared_Dirty',
  'Private_Clean',
  'Private_Dirty',
  'Referenced',
  'Anonymous',
  'KSM',
  'LazyFree',
  'AnonHugePages',
  'ShmemPmdMapped',
  'FilePmdMapped',
  'Shared_Hugetlb',
  'Private_Hugetlb',
  'Swap',
  'SwapPss',
  'Locked',
] as const;

function smapsLine(key: string, value: number): string {
  return `${`${key}:`.padEnd(16)}${String(value).padStart(8)} kB`;
}

function smapsValues(rssKb: number, pssKb: number, swapPssKb: number): Record<string, number> {
  const anon = Math.min(pssKb, Math.floor(rssKb / 4));
  return {
    Rss: rssKb,
    Pss: pssKb,
    Pss_Dirty: anon,
    Pss_Anon: anon,
    Pss_File: pssKb - anon,
    Shared_Clean: Math.max(0, rssKb - pssKb),
    Private_Clean: pssKb - anon,
    Private_Dirty: anon,
    Referenced: rssKb,
    Anonymous: anon,
    Swap: swapPssKb,
    SwapPss: swapPssKb,
  };
}

/** `/proc/<pid>/smaps_rollup` (`show_smaps_rollup()`). */
export function renderSmapsRollup(rssKb: number, pssKb: number, swapPssKb: number): string {
  const v = smapsValues(rssKb, pssKb, swapPssKb);
  const header = `${'56082fd68000-7ffe7a064000 ---p 00000000 00:00 0'.padEnd(73)}[rollup]`;
  return [header, ...ROLLUP_KEYS.map((k) => smapsLine(k, v[k] ?? 0)), ''].join('\n');
}

/** `/proc/<pid>/smaps` with two mappings whose Pss/SwapPss sum to the given values. */
export function renderSmaps(rssKb: number, pssKb: number, swapPssKb: number): string {
  const halves = (n: number): readonly [number, number] => [Math.floor(n / 2), n - Math.floor(n / 2)];
  const [rss1, rss2] = halves(rssKb);
  const [pss1, pss2] = halves(pssKb);
  const [sw1, sw2] = halves(swapPssKb);
  const mapping = (header: string, rss: number, pss: number, swap: number): string[] => [
    header,
    smapsLine('Size', rss + 64),
    smapsLine('KernelPageSize', 4),
    smapsLine('MMUPageSize', 4),
    ...ROLLUP_KEYS.map((k) => smapsLine(k, smapsValues(rss, pss, swap)[k] ?? 0)),
    'THPeligible:    0',
    'VmFlags: rd ex mr mw me sd',
  ];
  return [
    ...mapping('55d0c2a00000-55d0c2a28000 r--p 00000000 fd:01 1048602                    /usr/bin/app', rss1, pss1, sw1),
    ...mapping('7f3a1c000000-7f3a1c400000 rw-p 00000000 00:00 0 ', rss2, pss2, sw2),
    '',
  ].join('\n');
}

function renderCmdline(spec: ProcessSpec): string {
  if (spec.rawCmdline !== undefined) return spec.rawCmdline;
  return spec.cmdline.length === 0 ? '' : `${spec.cmdline.join('\0')}\0`;
}

/** `/proc/stat` with realistic cpu lines and the given btime. */
export function renderSystemStat(sys: SystemStat): string {
  const cpuLine = (name: string, scale: number): string =>
    `${name} ${[4606, 0, 1947, 44759, 370, 0, 112, 535, 0, 0].map((v) => Math.round(v * scale)).join(' ')}`;
  const lines = [cpuLine('cpu ', sys.cpus)];
  for (let i = 0; i < sys.cpus; i++) lines.push(cpuLine(`cpu${i}`, 1));
  lines.push(
    `intr 154766 ${Array.from({ length: 64 }, (_, i) => (i % 7 === 0 ? i * 13 : 0)).join(' ')}`,
    'ctxt 437156',
    `btime ${sys.btime}`,
    'processes 4707',
    'procs_running 1',
    'procs_blocked 0',
    'softirq 86867 0 8759 7 5063 33797 0 3 19035 0 20203',
    '',
  );
  return lines.join('\n');
}

/**
 * A fresh directory for a tree: under /dev/shm when it is writable (tmpfs: a tree of several
 * hundred processes is written 10-50x faster than on a VM disk), else under the OS temp dir.
 */
export function makeTreeDir(prefix: string): string {
  let base = tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    base = '/dev/shm';
  } catch {
    // no tmpfs: use the temp dir
  }
  return mkdtempSync(join(base, prefix));
}

export interface FakeProcfsOptions {
  /** Boot time in seconds since the epoch. */
  readonly btime: number;
  readonly cpus?: number;
}

/** A synthetic procfs under `root`, rewritten on every model change. */
export class FakeProcfs {
  readonly root: string;
  readonly btime: number;
  private readonly procs = new Map<number, ProcessSpec>();
  /** What is on disk for each pid, to rewrite only what changed. */
  private readonly written = new Map<number, { readonly files: ReadonlyMap<string, string>; readonly fds: FdState }>();

  private constructor(root: string, btime: number) {
    this.root = root;
    this.btime = btime;
  }

  /** Creates (or empties) `dir` and writes `<dir>/stat`. */
  static create(dir: string, options: FakeProcfsOptions): FakeProcfs {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'stat'), renderSystemStat({ btime: options.btime, cpus: options.cpus ?? 2 }));
    return new FakeProcfs(dir, options.btime);
  }

  /** Wall-clock start of a process in ms since the epoch, as process-exporter computes it. */
  startTimeMs(starttimeTicks: number): number {
    return this.btime * 1000 + starttimeTicks * 10;
  }

  /** The stat starttime (ticks since boot) of a process started at `epochMs`. */
  ticksAt(epochMs: number): number {
    return Math.round((epochMs - this.btime * 1000) / 10);
  }

  addProcess(input: ProcessInput): ProcessSpec {
    if (this.procs.has(input.pid)) throw new Error(`pid ${input.pid} already exists`);
    const spec = defaults(input);
    this.procs.set(spec.pid, spec);
    this.write(spec);
    return spec;
  }

  /** Merges `partial` into the process and rewrites its directory. */
  update(pid: number, partial: ProcessUpdate): ProcessSpec {
    const old = this.procs.get(pid);
    if (old === undefined) throw new Error(`no pid ${pid}`);
    const { threads, rawCmdline, numThreads, ...rest } = partial;
    const merged: ProcessSpec = {
      ...old,
      ...rest,
      rawCmdline: rawCmdline === undefined ? old.rawCmdline : rawCmdline === null ? undefined : rawCmdline,
      numThreads: numThreads === undefined ? old.numThreads : numThreads === null ? undefined : numThreads,
      threads:
        threads === undefined
          ? old.threads
          : threads === null
            ? undefined
            : threads.map((t) => threadDefaults(t, partial.starttime ?? old.starttime)),
    };
    const spec = threads === undefined ? merged : withMainThread(merged);
    this.procs.set(pid, spec);
    this.write(spec);
    return spec;
  }

  /**
   * Applies `change` to one thread (by tid) of a multi-threaded process. For the main thread the
   * fields it shares with the process (state, wchan, context switches) are applied to the process.
   */
  updateThread(pid: number, tid: number, change: Partial<Omit<ThreadSpec, 'tid'>>): ProcessSpec {
    const old = this.get(pid);
    if (old.threads === undefined || !old.threads.some((t) => t.tid === tid)) {
      throw new Error(`pid ${pid} has no thread ${tid}`);
    }
    if (tid === pid) {
      const { state, wchan, ctxVol, ctxNonvol, name, ...own } = change;
      if (name !== undefined && name !== old.comm) throw new Error('rename the main thread through update(pid, {comm})');
      const shared: ProcessUpdate = {
        ...(state === undefined ? {} : { state }),
        ...(wchan === undefined ? {} : { wchan }),
        ...(ctxVol === undefined ? {} : { ctxVol }),
        ...(ctxNonvol === undefined ? {} : { ctxNonvol }),
      };
      return this.update(pid, { ...shared, threads: old.threads.map((t) => (t.tid === tid ? { ...t, ...own } : t)) });
    }
    return this.update(pid, { threads: old.threads.map((t) => (t.tid === tid ? { ...t, ...change } : t)) });
  }

  /** The process exits (its directory disappears). */
  remove(pid: number): void {
    if (!this.procs.delete(pid)) throw new Error(`no pid ${pid}`);
    this.written.delete(pid);
    rmSync(join(this.root, String(pid)), { recursive: true, force: true });
  }

  has(pid: number): boolean {
    return this.procs.has(pid);
  }

  get(pid: number): ProcessSpec {
    const spec = this.procs.get(pid);
    if (spec === undefined) throw new Error(`no pid ${pid}`);
    return spec;
  }

  processes(): readonly ProcessSpec[] {
    return [...this.procs.values()].sort((a, b) => a.pid - b.pid);
  }

  /** Deletes the whole tree. */
  destroy(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** The files of a process directory (relative path → content), without `fd/`. */
  private render(spec: ProcessSpec): Map<string, string> {
    const files = new Map<string, string>();
    const omitted = new Set(spec.omit);
    const unreadable = new Set(spec.unreadable);
    const put = (name: ProcFile, file: string, content: string): void => {
      if (unreadable.has(name)) files.set(file, UNREADABLE);
      else if (!omitted.has(name)) files.set(file, content);
    };
    const kernel = spec.kind === 'kernel';
    const withMm = spec.kind === 'user';
    const tasks = tasksOf(spec);
    const numThreads = spec.numThreads ?? tasks.length;
    const cmdline = renderCmdline(spec);
    const cgroup = spec.cgroup.length === 0 ? '' : `${spec.cgroup.join('\n')}\n`;
    const statusOf = (name: string, state: string, pid: number, ctxVol: number, ctxNonvol: number): string =>
      renderStatus({
        name,
        state,
        tgid: spec.pid,
        pid,
        ppid: spec.ppid,
        uid: spec.uid,
        euid: spec.euid,
        threads: numThreads,
        withMm,
        kernel,
        vsizeKb: Math.floor(spec.vsize / 1024),
        rssKb: spec.rss * 4,
        vmSwapKb: spec.vmSwapKb,
        ctxVol,
        ctxNonvol,
      });

    put(
      'stat',
      'stat',
      renderStat({
        id: spec.pid,
        comm: spec.comm,
        state: spec.state,
        ppid: spec.ppid,
        minflt: spec.minflt,
        majflt: spec.majflt,
        utime: spec.utime,
        stime: spec.stime,
        numThreads,
        starttime: spec.starttime,
        vsize: spec.vsize,
        rss: spec.rss,
        kernel,
      }),
    );
    put('status', 'status', statusOf(spec.comm, spec.state, spec.pid, spec.ctxVol, spec.ctxNonvol));
    put('io', 'io', renderIo(spec.readBytes, spec.writeBytes));
    put('limits', 'limits', renderLimits(spec.fdLimit));
    put('cmdline', 'cmdline', cmdline);
    put('cgroup', 'cgroup', cgroup);
    put('wchan', 'wchan', spec.wchan);
    put('comm', 'comm', `${spec.comm}\n`);
    if (unreadable.has('smaps')) {
      files.set(spec.smapsWithoutRollup ? 'smaps' : 'smaps_rollup', UNREADABLE);
    } else if (!omitted.has('smaps')) {
      if (spec.smapsWithoutRollup) files.set('smaps', renderSmaps(spec.rss * 4, spec.pss, spec.swapPss));
      else files.set('smaps_rollup', renderSmapsRollup(spec.rss * 4, spec.pss, spec.swapPss));
    }
    if (omitted.has('task')) return files;
    for (const t of tasks) {
      const tdir = `task/${t.tid}/`;
      files.set(
        `${tdir}stat`,
        renderStat({
          id: t.tid,
          comm: t.name,
          state: t.state,
          ppid: spec.ppid,
          minflt: t.minflt,
          majflt: t.majflt,
          utime: t.utime,
          stime: t.stime,
          numThreads,
          starttime: t.starttime,
          vsize: spec.vsize,
          rss: spec.rss,
          kernel,
        }),
      );
      files.set(`${tdir}status`, statusOf(t.name, t.state, t.tid, t.ctxVol, t.ctxNonvol));
      if (!omitted.has('io')) files.set(`${tdir}io`, renderIo(t.readBytes, t.writeBytes));
      files.set(`${tdir}wchan`, t.wchan);
      files.set(`${tdir}cmdline`, cmdline);
      files.set(`${tdir}comm`, `${t.name}\n`);
      files.set(`${tdir}cgroup`, cgroup);
    }
    return files;
  }

  /**
   * Brings `/proc/<pid>` in line with the model, touching only what changed (a tree of several
   * hundred processes is rewritten every round).
   */
  private write(spec: ProcessSpec): void {
    const dir = join(this.root, String(spec.pid));
    const prev = this.written.get(spec.pid);
    const next = this.render(spec);
    const fds: FdState = spec.unreadable.includes('fd') ? 'file' : spec.omit.includes('fd') ? 'missing' : spec.fds;
    if (prev === undefined) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }
    writeFiles(dir, next, prev?.files);
    writeFds(join(dir, 'fd'), spec.pid, fds, prev?.fds);
    this.written.set(spec.pid, { files: next, fds });
  }
}

/**
 * Writes the files of an existing process directory (relative path → content, `task/<tid>/…`
 * included): the one procfs-tree writer of the tests. With `prev` (what was written last time) only what changed is
 * touched, and files and task directories that are gone are removed. UNREADABLE content is a directory
 * in place of the file (EISDIR).
 */
export function writeFiles(dir: string, next: ReadonlyMap<string, string | Buffer>, prev: ReadonlyMap<string, string | Buffer> = new Map()): void {
  for (const [file, content] of next) {
    const old = prev.get(file);
    if (old === content) continue;
    const path = join(dir, file);
    if (old === UNREADABLE) rmSync(path, { recursive: true, force: true });
    if (file.includes('/')) mkdirSync(dirname(path), { recursive: true });
    if (content === UNREADABLE) {
      rmSync(path, { force: true });
      mkdirSync(path);
    } else {
      writeFileSync(path, content);
    }
  }
  const liveTaskDirs = new Set([...next.keys()].filter((f) => f.startsWith('task/')).map((f) => dirname(f)));
  const staleTaskDirs = new Set<string>();
  for (const file of prev.keys()) {
    if (next.has(file)) continue;
    const parent = dirname(file);
    if (parent.startsWith('task/') && !liveTaskDirs.has(parent)) staleTaskDirs.add(parent);
    else rmSync(join(dir, file), { recursive: true, force: true });
  }
  for (const t of staleTaskDirs) rmSync(join(dir, t), { recursive: true, force: true });
  if (liveTaskDirs.size === 0 && prev.size > 0) rmSync(join(dir, 'task'), { recursive: true, force: true });
}

/** `fd/` with `fds` entries (symlinks, as the kernel shows them), a file in its place, or none. */
export function writeFds(fdDir: string, pid: number, fds: FdState, prevFds: FdState = 'missing'): void {
  if (typeof fds !== 'number' || typeof prevFds !== 'number') {
    if (prevFds !== fds || prevFds === 'missing') {
      rmSync(fdDir, { recursive: true, force: true });
      if (fds === 'file') writeFileSync(fdDir, '');
      if (typeof fds === 'number') mkdirSync(fdDir);
    }
  }
  if (typeof fds === 'number') {
    const from = typeof prevFds === 'number' ? prevFds : 0;
    for (let i = from; i < fds; i++) {
      const target = i < 3 ? '/dev/null' : i % 2 === 0 ? `socket:[${40000 + pid * 8 + i}]` : `pipe:[${90000 + i}]`;
      symlinkSync(target, join(fdDir, String(i)));
    }
    for (let i = fds; i < from; i++) rmSync(join(fdDir, String(i)), { force: true });
  }
}

/** Small deterministic PRNG (mulberry32) for generating big trees. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}
