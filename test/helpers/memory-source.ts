import type { Counts, MetricsRead, ProcSource, ProcStat, ProcStatic, ThreadSample, ThreadsRead } from '../../src/procfs/types.js';

/** A thread of a fake process. Counters default to 0. */
export interface FakeThread {
  tid: number;
  starttime?: number;
  name: string;
  state?: string;
  utime?: number;
  stime?: number;
  voluntary?: number;
  nonvoluntary?: number;
  readBytes?: number;
  writeBytes?: number;
  wchan?: string;
}

/** A fake process: only what a test cares about needs to be given. */
export interface FakeProc {
  pid: number;
  comm: string;
  cmdline?: string[];
  ppid?: number;
  starttime?: number;
  state?: string;
  utime?: number;
  stime?: number;
  minflt?: number;
  majflt?: number;
  readBytes?: number;
  writeBytes?: number;
  voluntary?: number;
  nonvoluntary?: number;
  rssBytes?: number;
  openFds?: number;
  fdLimit?: number;
  numThreads?: number;
  euid?: number;
  wchan?: string;
  threads?: FakeThread[];
  /** readMetrics fails (not vanished). */
  unreadable?: boolean;
  /** Some soft file failed. */
  partial?: boolean;
}

function counts(p: { utime?: number; stime?: number; readBytes?: number; writeBytes?: number; voluntary?: number; nonvoluntary?: number; minflt?: number; majflt?: number }): Counts {
  return {
    cpuUser: (p.utime ?? 0) / 100,
    cpuSystem: (p.stime ?? 0) / 100,
    readBytes: p.readBytes ?? 0,
    writeBytes: p.writeBytes ?? 0,
    majorPageFaults: p.majflt ?? 0,
    minorPageFaults: p.minflt ?? 0,
    ctxSwitchVoluntary: p.voluntary ?? 0,
    ctxSwitchNonvoluntary: p.nonvoluntary ?? 0,
  };
}

/** An in-memory ProcSource with call counters, for driving the tracker without a filesystem. */
export class MemorySource implements ProcSource {
  readonly procs = new Map<number, FakeProc>();
  readonly bootTimeSeconds: number;
  listFails = false;
  readonly calls = { readStat: 0, readMetrics: 0, readThreads: 0, readStatic: 0 };

  constructor(bootTimeSeconds = 1_700_000_000) {
    this.bootTimeSeconds = bootTimeSeconds;
  }

  add(...procs: FakeProc[]): this {
    for (const p of procs) this.procs.set(p.pid, p);
    return this;
  }

  /** Changes fields of a fake process; a field given as undefined is removed (e.g. `threads: undefined`). */
  update(pid: number, changes: { [K in keyof FakeProc]?: FakeProc[K] | undefined }): void {
    const p = this.procs.get(pid);
    if (p === undefined) throw new Error(`no fake pid ${pid}`);
    Object.assign(p, changes);
  }

  remove(pid: number): void {
    this.procs.delete(pid);
  }

  listPids(): { ok: true; pids: number[] } | { ok: false; error: string } {
    if (this.listFails) return { ok: false, error: 'cannot list' };
    return { ok: true, pids: [...this.procs.keys()].sort((a, b) => a - b) };
  }

  readStat(pid: number): ProcStat | undefined {
    this.calls.readStat++;
    const p = this.procs.get(pid);
    if (p === undefined) return undefined;
    return {
      pid,
      comm: p.comm,
      state: p.state ?? 'S',
      ppid: p.ppid ?? 1,
      minflt: p.minflt ?? 0,
      majflt: p.majflt ?? 0,
      utime: p.utime ?? 0,
      stime: p.stime ?? 0,
      numThreads: p.numThreads ?? Math.max(1, p.threads?.length ?? 1),
      starttime: p.starttime ?? 0,
      vsize: 0,
      rss: (p.rssBytes ?? 0) / 4096,
    };
  }

  readMetrics(pid: number, stat: ProcStat): MetricsRead {
    this.calls.readMetrics++;
    const p = this.procs.get(pid);
    if (p === undefined) return { kind: 'failed', vanished: true };
    if (p.unreadable === true) return { kind: 'failed', vanished: false };
    return {
      kind: 'ok',
      partial: p.partial ?? false,
      metrics: {
        counts: counts(p),
        memory: { residentBytes: p.rssBytes ?? 0, virtualBytes: 0, vmSwapBytes: 0, proportionalBytes: 0, proportionalSwapBytes: 0 },
        openFds: p.openFds ?? 0,
        fdLimit: p.fdLimit ?? 1024,
        numThreads: stat.numThreads,
        state: stat.state,
        wchan: p.wchan ?? '',
      },
    };
  }

  readThreads(pid: number): ThreadsRead {
    this.calls.readThreads++;
    const p = this.procs.get(pid);
    const threads = p?.threads;
    if (threads === undefined || threads.length < 2) return { threads: undefined, partial: false };
    const out: ThreadSample[] = threads.map((t) => ({
      tid: t.tid,
      starttime: t.starttime ?? p?.starttime ?? 0,
      name: t.name,
      counts: counts(t),
      state: t.state ?? 'S',
      wchan: t.wchan ?? '',
    }));
    return { threads: out, partial: false };
  }

  readStatic(pid: number, stat: ProcStat): ProcStatic | undefined {
    this.calls.readStatic++;
    const p = this.procs.get(pid);
    if (p === undefined) return undefined;
    return {
      comm: p.comm,
      cmdline: p.cmdline ?? [p.comm],
      ppid: stat.ppid,
      startTimeMs: this.bootTimeSeconds * 1000 + stat.starttime * 10,
      euid: p.euid ?? 0,
      cgroups: [],
    };
  }
}
