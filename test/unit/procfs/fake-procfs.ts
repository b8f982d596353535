/**
 * The text of the files process-exporter reads, field by field, for the parser and reader tests (each
 * file is formatted the way the kernel formats it), and small procfs trees of such files in a temp dir,
 * written by the tests' one tree writer (test/helpers/fake-procfs.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFds, writeFiles } from '../../helpers/fake-procfs.js';

/** Fields of a stat line; the rest of the 52 fields are filled with zeros. */
export interface StatFields {
  readonly pid: number;
  readonly comm: string;
  readonly state?: string;
  readonly ppid?: number;
  readonly minflt?: number;
  readonly majflt?: number;
  readonly utime?: number;
  readonly stime?: number;
  readonly numThreads?: number;
  readonly starttime?: number;
  readonly vsize?: number;
  readonly rss?: number;
}

/** A full 52-field stat line as fs/proc/array.c writes it. */
export function statLine(f: StatFields): string {
  const fields: (string | number)[] = [
    f.state ?? 'S',
    f.ppid ?? 1, // 4 ppid
    f.pid, // 5 pgrp
    f.pid, // 6 session
    0, // 7 tty_nr
    -1, // 8 tpgid
    4194304, // 9 flags
    f.minflt ?? 0, // 10
    0, // 11 cminflt
    f.majflt ?? 0, // 12
    0, // 13 cmajflt
    f.utime ?? 0, // 14
    f.stime ?? 0, // 15
    0, // 16 cutime
    0, // 17 cstime
    20, // 18 priority
    -5, // 19 nice (signed)
    f.numThreads ?? 1, // 20
    0, // 21 itrealvalue
    f.starttime ?? 0, // 22
    f.vsize ?? 0, // 23
    f.rss ?? 0, // 24
    '18446744073709551615', // 25 rsslim
  ];
  while (fields.length < 50) fields.push(0);
  return `${f.pid} (${f.comm}) ${fields.join(' ')}\n`;
}

export interface StatusFields {
  readonly name?: string;
  readonly uid?: readonly [number, number, number, number];
  /** Omitted (as for kernel threads) when undefined. */
  readonly vmSwapKb?: number;
  readonly voluntary?: number;
  readonly nonvoluntary?: number;
}

export function statusText(f: StatusFields = {}): string {
  const uid = f.uid ?? [1000, 1000, 1000, 1000];
  const lines = [
    `Name:\t${f.name ?? 'proc'}`,
    'Umask:\t0022',
    'State:\tS (sleeping)',
    'Tgid:\t100',
    'Ngid:\t0',
    'Pid:\t100',
    'PPid:\t1',
    'TracerPid:\t0',
    `Uid:\t${uid.join('\t')}`,
    'Gid:\t1000\t1000\t1000\t1000',
    'FDSize:\t64',
    'Groups:\t1000 ',
    'NStgid:\t100',
    'NSpid:\t100',
    'VmPeak:\t    2920 kB',
    'VmRSS:\t    1744 kB',
  ];
  if (f.vmSwapKb !== undefined) lines.push(`VmSwap:\t${String(f.vmSwapKb).padStart(8)} kB`);
  lines.push(
    'Threads:\t1',
    'Cpus_allowed_list:\t0-1',
    `voluntary_ctxt_switches:\t${f.voluntary ?? 0}`,
    `nonvoluntary_ctxt_switches:\t${f.nonvoluntary ?? 0}`,
  );
  return `${lines.join('\n')}\n`;
}

export function ioText(readBytes: number, writeBytes: number): string {
  return [
    'rchar: 6976',
    'wchar: 12',
    'syscr: 10',
    'syscw: 1',
    `read_bytes: ${readBytes}`,
    `write_bytes: ${writeBytes}`,
    'cancelled_write_bytes: 0',
    '',
  ].join('\n');
}

/** A limits file whose "Max open files" soft column is `soft`. */
export function limitsText(soft: string | number, hard: string | number = 'unlimited'): string {
  const row = (name: string, s: string | number, h: string | number, unit: string): string =>
    `${name.padEnd(26)}${String(s).padEnd(21)}${String(h).padEnd(21)}${unit.padEnd(10)}`;
  return `${[
    row('Limit', 'Soft Limit', 'Hard Limit', 'Units'),
    row('Max cpu time', 'unlimited', 'unlimited', 'seconds'),
    row('Max stack size', 8388608, 'unlimited', 'bytes'),
    row('Max processes', 96365, 96365, 'processes'),
    row('Max open files', soft, hard, 'files'),
    row('Max nice priority', 0, 0, ''),
    row('Max realtime timeout', 'unlimited', 'unlimited', 'us'),
  ].join('\n')}\n`;
}

export function smapsRollupText(pssKb: number, swapPssKb: number): string {
  return [
    '55f69ae6b000-7ffcdce87000 ---p 00000000 00:00 0                          [rollup]',
    'Rss:                1744 kB',
    `Pss:                ${pssKb} kB`,
    'Pss_Dirty:           108 kB',
    'Pss_Anon:            108 kB',
    'Swap:                  0 kB',
    `SwapPss:            ${swapPssKb} kB`,
    'Locked:                0 kB',
    '',
  ].join('\n');
}

/** An smaps file with one mapping per entry of `mappings` ([Pss kB, SwapPss kB]). */
export function smapsText(mappings: readonly (readonly [number, number])[]): string {
  let text = '';
  let address = 0x55a3994d9000;
  for (const [pss, swapPss] of mappings) {
    const next = address + 0x2000;
    text += `${address.toString(16)}-${next.toString(16)} r--p 00000000 fe:00 260875                     /usr/bin/sleep\n`;
    text += 'Size:                  8 kB\nKernelPageSize:        4 kB\nRss:                   8 kB\n';
    text += `Pss:                   ${pss} kB\nPss_Dirty:             0 kB\nSwap:                  0 kB\n`;
    text += `SwapPss:               ${swapPss} kB\nLocked:                0 kB\nTHPeligible:           0\n`;
    text += 'VmFlags: rd mr mw me \n';
    address = next;
  }
  return text;
}

/** File name → content; `null` means "do not create". */
export type FileMap = Readonly<Record<string, string | Buffer | null>>;

export interface FakeThread {
  readonly tid: number;
  readonly comm: string;
  readonly files?: FileMap;
}

export interface FakeProcess {
  readonly stat: StatFields;
  readonly status?: StatusFields;
  /** Extra or replacement files, e.g. `{ io: null }` to omit io. */
  readonly files?: FileMap;
  /** Number of entries to create in fd/. */
  readonly fds?: number;
  readonly threads?: readonly FakeThread[];
}

/** The files of a normal, fully readable process. */
export function defaultFiles(p: FakeProcess): Record<string, string | Buffer | null> {
  return {
    stat: statLine(p.stat),
    status: statusText(p.status),
    io: ioText(4096, 8192),
    limits: limitsText(1024),
    wchan: 'hrtimer_nanosleep',
    cmdline: `/usr/bin/${p.stat.comm}\0--flag\0`,
    cgroup: '0::/system.slice/app.service\n',
    smaps_rollup: smapsRollupText(380, 12),
  };
}

/** Writes `<root>/stat` and one directory per process. */
export function writeProcfs(root: string, processes: readonly FakeProcess[], btime = 1700000000): void {
  writeFileSync(join(root, 'stat'), `cpu  6159 0 2188 77208 423 0 119 741 0 0\nintr 1 2 3\nctxt 99\nbtime ${btime}\nprocesses 7000\n`);
  for (const p of processes) writeProcess(root, p);
}

export function writeProcess(root: string, p: FakeProcess): void {
  const dir = join(root, String(p.stat.pid));
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, string | Buffer>();
  const add = (prefix: string, map: FileMap): void => {
    for (const [name, content] of Object.entries(map)) if (content !== null) files.set(`${prefix}${name}`, content);
  };
  add('', { ...defaultFiles(p), ...p.files });
  for (const t of p.threads ?? []) {
    const base: FileMap = {
      stat: statLine({ ...p.stat, pid: t.tid, comm: t.comm, utime: t.tid % 100, stime: 1 }),
      status: statusText({ ...p.status, voluntary: t.tid, nonvoluntary: 1 }),
      io: ioText(t.tid, 0),
      wchan: 'futex_wait_queue',
    };
    add(`task/${t.tid}/`, { ...base, ...t.files });
  }
  writeFiles(dir, files);
  writeFds(join(dir, 'fd'), p.stat.pid, p.fds ?? 3);
}

/** A fresh temp dir; remove it with `cleanup`. */
export function tempRoot(): { readonly root: string; readonly cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'procpush-procfs-'));
  return {
    root,
    cleanup: () => {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Reads a captured file from test/fixtures/procfs (relative to the repository root). */
export function fixture(relativePath: string): Buffer {
  // Compiled tests live in build/test/unit/procfs/; the fixtures stay in the source tree.
  return readFileSync(new URL(`../../../../test/fixtures/procfs/${relativePath}`, import.meta.url));
}
