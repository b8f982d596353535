/** What the benchmark reads about the processes it measures: CPU and memory from /proc/<pid>. */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat on every Linux architecture Node runs on. */
const USER_HZ = 100;

/** utime + stime of the whole process (all threads), in seconds; NaN when the process is gone. */
export function cpuSeconds(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return NaN;
  }
  // Fields after the comm, which ends at the last ')': field 3 is fields[0], utime (14) is fields[11].
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** A `Key: value kB` line of /proc/<pid>/status, in bytes; NaN when absent or the process is gone. */
export function statusBytes(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return NaN;
  }
  const line = text.split('\n').find((l) => l.startsWith(`${key}:`));
  if (line === undefined) return NaN;
  return Number(/(\d+)/.exec(line)?.[1] ?? NaN) * 1024;
}

/** Number of numeric entries of /proc (live processes, ours included). */
export function countProcesses(): number {
  let n = 0;
  try {
    for (const name of readdirNames('/proc')) if (/^\d+$/.test(name)) n++;
  } catch {
    return NaN;
  }
  return n;
}

/** Threads of a process (entries of task/), 0 when it is gone. */
export function threadCount(pid: number): number {
  try {
    return readdirNames(`/proc/${pid}/task`).length;
  } catch {
    return 0;
  }
}

/** Processes whose process group is `pgid` (field 5 of stat). Bounded by the size of /proc. */
export function membersOfGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirNames('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function readdirNames(path: string): string[] {
  return readdirSync(path);
}

/** Anonymous and file-backed resident bytes (smaps_rollup), to tell heap growth from code pages. */
export function rssParts(pid: number): { anonBytes: number; fileBytes: number } {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
  } catch {
    return { anonBytes: NaN, fileBytes: NaN };
  }
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  const rss = kb('Rss');
  const anon = kb('Anonymous');
  return { anonBytes: anon, fileBytes: rss - anon };
}
