/**
 * Differential test: Debian's prometheus-process-exporter 0.7.10 (the reference) and
 * `procpush serve` run on the same synthetic procfs tree; every `namedprocess_namegroup_*` series
 * must be equal (same label sets, values within 1e-9 relative) except procpush's documented fixes:
 *
 *  (a) context_switches_total never decreases or wraps (upstream #193, #287). All thread exits of
 *      the scenario happen in one process, `churnd`, which every config puts in a group of its own;
 *      only that group's two context-switch series are compared against a value computed from the
 *      model (a negative delta counts as 0; in the round where a thread exits nothing else in churnd
 *      changes, so per-task deltas, as docs/compatibility.md describes them, give the same value,
 *      and new threads start after the exporter, so they count whole). The reference's buggy value for the same
 *      series is asserted from the model too (uint64 wrap-around), so the exception cannot hide a
 *      different divergence.
 *  (b) states and threads_wchan count each thread once (#338). The reference adds the process's own
 *      state/wchan on top of every task's, so a process with N≥2 threads counts N+1. The expected
 *      procpush value is the reference's minus one per tracked multi-threaded process (at its main
 *      thread's state and wchan). The number of such processes per group is read from
 *      thread_count{threadname=<comm of a multi-threaded process>}: the model guarantees that no
 *      other thread carries such a name and that all multi-threaded processes with the same comm
 *      have the same main-thread state and wchan.
 *  (c) namedprocess_scrape_procread_errors counts every cycle's hard read failures (the reference
 *      freezes it after the startup cycle), except processes that vanished mid-read (ENOENT), which
 *      the reference counts and procpush does not: expected = Σ over cycles of the model's
 *      processes whose status or limits is unreadable (a directory in place of the file, EISDIR).
 *      The reference's value is asserted too: the startup cycle's failures of both kinds.
 *
 * Timing: the reference runs one cycle at startup and one per scrape, and counts a process's whole
 * lifetime when it started after the first cycle. Start times are therefore either ≥1 h in the past
 * or 1 day in the future, never near the exporters' start. Readiness is polled on `/` (no
 * collection cycle) so the cycle count is exactly startup + one per scrape.
 *
 * DIFF_DUMP_DIR=dir writes every scrape to dir (reference and procpush, per run and round).
 *
 * Without dist/cli.js the procpush half is skipped (with a message) and the reference half still
 * checks the values the model predicts (§7 of the reference notes: CPU delta 0.5 after 100→150
 * ticks, thread delta 0.30000000000000004, write_bytes 4096, the double-counted states, …).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { type Exposition, parseExposition, seriesKey } from '../helpers/exposition-parse.js';
import {
  ctxSwitchesOf,
  FakeProcfs,
  makeTreeDir,
  type ProcessInput,
  type ProcessSpec,
  SeededRandom,
  type ThreadInput,
  tasksOf,
} from '../helpers/fake-procfs.js';
import {
  type ExporterHandle,
  PROCPUSH_CLI,
  procpushAvailable,
  REFERENCE_BIN,
  referenceAvailable,
  startProcpush,
  startReference,
} from '../helpers/servers.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/differential/', import.meta.url));
const PAGE_SIZE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim());
const U64 = 1n << 64n;
/** Go's zero time.Time in Unix seconds: the start time of a group without processes. */
const EMPTY_GROUP_START = -62135596800;
const GROUP_PREFIX = 'namedprocess_namegroup_';
const REL_TOLERANCE = 1e-9;
const ROUNDS = 4;

/** Pids of the processes whose values the test predicts. */
const P = {
  systemd: 1,
  kthreadd: 2,
  rsyslogd: 100,
  sshd: 110,
  sshdPriv: 111,
  sshdUser: 112,
  userBash: 113,
  vim: 114,
  cron: 120,
  journald: 130,
  longName: 140,
  evil: 150,
  quote: 151,
  newline: 152,
  nginx: 160,
  postgres: 170,
  pythonWorkers: 200,
  java: 260,
  tailShells: 300,
  myapp: 1000,
  myappWorker: 1001,
  reaper: 1100,
  kid: 1101,
  broken: 1200,
  nolimits: 1201,
  locked: 1202,
  lockedLimits: 1203,
  noStat: 1204,
  softLocked: 1205,
  smapsOnly: 1300,
  noFd: 1301,
  unlimitedFd: 1302,
  futured: 1400,
  ephemeral1: 1500,
  ephemeral2: 1501,
  reused: 1600,
  setuid: 1700,
  churnd: 7000,
  churnIo: 7001,
  early: 7002,
  late: 7003,
  earlyAgain: 7004,
  latecomer: 20001,
  pastcomer: 20002,
  newPyWorker: 20003,
} as const;

const ROUND_TITLES = [
  'right after startup, nothing changed',
  'counters grow, processes exit and start, a thread appears',
  'a pid is reused, a thread exits, a thread is renamed, a process appears with a past start time',
  'a group empties, a thread name reappears, a broken process becomes readable, exited pids are reused',
  'a zombie is reaped and its pid reused, more growth',
] as const;

const STATE_NAMES: Readonly<Record<string, string>> = { R: 'Running', S: 'Sleeping', D: 'Waiting', Z: 'Zombie' };
const stateName = (s: string): string => STATE_NAMES[s] ?? 'Other';

function key(family: string, labels: Readonly<Record<string, string>>): string {
  return seriesKey(`${GROUP_PREFIX}${family}`, labels);
}

/** What the reference and procpush accumulate for churnd's context switches (the only thread exits). */
class ChurnLedger {
  private last: { vol: number; nonvol: number } | undefined;
  /** The reference's group counter: uint64 sums of uint64 deltas. */
  refVol = 0n;
  refNonvol = 0n;
  /** procpush's fixed counter: a negative delta counts as 0. */
  fixedVol = 0;
  fixedNonvol = 0;

  observe(now: { readonly vol: number; readonly nonvol: number }): void {
    const last = this.last;
    this.last = { ...now };
    if (last === undefined) return; // tracked since before the exporter started: contributes 0
    const dv = now.vol - last.vol;
    const dn = now.nonvol - last.nonvol;
    this.refVol = (((this.refVol + BigInt(dv)) % U64) + U64) % U64;
    this.refNonvol = (((this.refNonvol + BigInt(dn)) % U64) + U64) % U64;
    this.fixedVol += Math.max(0, dv);
    this.fixedNonvol += Math.max(0, dn);
  }
}

interface BulkTemplate {
  readonly comm: string;
  readonly argv: (r: SeededRandom, n: number) => string[];
  readonly threads?: readonly string[];
  readonly wchan: string;
}

const BULK: readonly BulkTemplate[] = [
  { comm: 'sleep', argv: (r) => ['sleep', String(r.int(10, 86400))], wchan: 'hrtimer_nanosleep' },
  { comm: 'cat', argv: () => ['cat'], wchan: 'pipe_read' },
  {
    comm: 'agetty',
    argv: (_r, n) => ['/sbin/agetty', '-o', '-p -- \\u', '--noclear', `tty${n}`, 'linux'],
    wchan: 'n_tty_read',
  },
  {
    // comm is the kernel's 15-byte truncation of containerd-shim-runc-v2
    comm: 'containerd-shim',
    argv: (r) => [
      '/usr/bin/containerd-shim-runc-v2',
      '-namespace',
      'moby',
      '-id',
      r.int(0x10000000, 0x7fffffff).toString(16).repeat(8),
      '-address',
      '/run/containerd/containerd.sock',
    ],
    wchan: 'futex_wait_queue',
  },
  {
    comm: 'node',
    argv: (r) => ['/usr/bin/node', `/srv/web/server-${r.int(1, 3)}.js`],
    threads: ['libuv-worker', 'libuv-worker', 'V8 DefaultWorke'],
    wchan: 'futex_wait_queue',
  },
  { comm: 'python3', argv: (r) => ['/usr/bin/python3', '-m', 'http.server', String(r.int(8000, 8999))], wchan: 'do_select' },
  { comm: 'ruby', argv: () => ['ruby', '/srv/jobs/runner.rb'], wchan: 'do_epoll_wait' },
  { comm: 'perl', argv: () => ['/usr/bin/perl', '-w', '/usr/local/bin/monitor.pl'], wchan: 'hrtimer_nanosleep' },
  { comm: 'bash', argv: () => ['-bash'], wchan: 'do_wait' },
  { comm: 'dbus-daemon', argv: () => ['/usr/bin/dbus-daemon', '--session', '--address=systemd:'], wchan: 'do_epoll_wait' },
];

const KTHREADS = [
  'rcu_gp',
  'rcu_par_gp',
  'slub_flushwq',
  'netns',
  'kworker/0:0H-events_highpri',
  'mm_percpu_wq',
  'rcu_tasks_kthread',
  'ksoftirqd/0',
  'rcu_preempt',
  'migration/0',
  'idle_inject/0',
  'cpuhp/0',
  'cpuhp/1',
  'migration/1',
  'ksoftirqd/1',
  'kworker/1:0H-events_highpri',
  'kdevtmpfs',
  'inet_frag_wq',
  'kauditd',
  'khungtaskd',
  'oom_reaper',
  'writeback',
  'kcompactd0',
  'ksmd',
  'khugepaged',
  'kintegrityd',
  'kblockd',
  'blkcg_punt_bio',
  'tpm_dev_wq',
  'ata_sff',
  'md',
  'edac-poller',
  'devfreq_wq',
  'watchdogd',
  'kworker/u4:2-events_unbound',
  'kswapd0',
  'ecryptfs-kthread',
  'kthrotld',
];

interface MainThread {
  readonly state: string;
  readonly wchan: string;
}

/**
 * The synthetic machine: several hundred processes and the scripted mutations of each round.
 * Deterministic: a fixed seed, start times relative to btime.
 */
class Scenario {
  readonly fs: FakeProcfs;
  readonly churn = new ChurnLedger();
  /** Hard read failures (stat readable, status or limits not) seen by each collection cycle. */
  readonly hardFailuresPerCycle: { readonly all: number; readonly unreadable: number }[] = [];
  round = 0;
  private readonly rng = new SeededRandom(0x5eed);
  /** Processes that grow randomly each round and may exit. */
  private readonly bulk = new Set<number>();
  /** Processes that grow randomly each round and never exit. */
  private readonly services = new Set<number>();
  private readonly freedPids: number[] = [];
  private nextPid = 20100;
  private bulkSerial = 0;

  constructor(root: string) {
    const btime = Math.floor(Date.now() / 1000) - 2 * 86400;
    this.fs = FakeProcfs.create(root, { btime });
    this.build();
  }

  /** A start time at least 1 h before now (btime is 2 days ago). */
  pastTicks(): number {
    return this.rng.int(100, (2 * 86400 - 3600) * 100);
  }

  /** A start time 1 day after now: the process "started after the exporter". */
  futureTicks(): number {
    return 3 * 86400 * 100 + this.rng.int(0, 99999);
  }

  /** Record what one collection cycle sees (call once per cycle: startup, then each scrape). */
  observeCycle(): void {
    this.hardFailuresPerCycle.push(this.hardFailures());
    this.churn.observe(ctxSwitchesOf(this.fs.get(P.churnd)));
  }

  /**
   * Processes whose stat is readable but status or limits is not: `all` of them (the reference
   * counts a missing file too, its ErrProcNotExist check never matches) and those `unreadable`
   * other than by ENOENT (procpush does not count a process that vanished mid-read).
   */
  hardFailures(): { readonly all: number; readonly unreadable: number } {
    const statOk = this.fs.processes().filter((p) => !p.omit.includes('stat') && !p.unreadable.includes('stat'));
    const hard = (files: readonly string[]): boolean => files.includes('status') || files.includes('limits');
    const unreadable = statOk.filter((p) => hard(p.unreadable)).length;
    return { all: statOk.filter((p) => hard(p.unreadable) || hard(p.omit)).length, unreadable };
  }

  /**
   * Main-thread state and wchan per comm of multi-threaded processes; throws when the scenario
   * breaks the invariants that make exception (b) computable.
   */
  multiThreadedMains(): ReadonlyMap<string, MainThread> {
    const mains = new Map<string, MainThread>();
    const procs = this.fs.processes();
    for (const p of procs) {
      if (tasksOf(p).length < 2 || p.omit.includes('task')) continue;
      const prev = mains.get(p.comm);
      if (prev !== undefined && (prev.state !== p.state || prev.wchan !== p.wchan)) {
        throw new Error(`multi-threaded ${p.comm} processes disagree on main-thread state/wchan`);
      }
      mains.set(p.comm, { state: p.state, wchan: p.wchan });
    }
    for (const p of procs) {
      for (const t of tasksOf(p)) {
        if (t.tid !== p.pid && mains.has(t.name)) {
          throw new Error(`thread ${t.tid} of ${p.pid} is named like a multi-threaded process (${t.name})`);
        }
      }
    }
    return mains;
  }

  mutate(): void {
    this.round++;
    switch (this.round) {
      case 1:
        this.round1();
        break;
      case 2:
        this.round2();
        break;
      case 3:
        this.round3();
        break;
      case 4:
        this.round4();
        break;
      default:
        throw new Error(`no round ${this.round}`);
    }
  }

  private add(input: ProcessInput, role: 'bulk' | 'service' | 'special'): ProcessSpec {
    const spec = this.fs.addProcess(input);
    if (role === 'bulk') this.bulk.add(spec.pid);
    if (role === 'service') this.services.add(spec.pid);
    return spec;
  }

  private userDefaults(): Pick<ProcessSpec, 'rss' | 'vsize' | 'fds' | 'utime' | 'stime' | 'minflt' | 'majflt'> {
    const r = this.rng;
    return {
      rss: r.int(100, 40000),
      vsize: r.int(5, 3000) * 1048576 + r.int(0, 255) * 4096,
      fds: r.int(3, 64),
      utime: r.int(0, 100000),
      stime: r.int(0, 20000),
      minflt: r.int(100, 900000),
      majflt: r.int(0, 900),
    };
  }

  private threads(pid: number, names: readonly string[], starttime: number): ThreadInput[] {
    const r = this.rng;
    return names.map((name, i) => ({
      tid: pid + 1 + i,
      name,
      state: r.pick(['S', 'S', 'R', 'D']),
      starttime: starttime + i + 1,
      utime: r.int(0, 5000),
      stime: r.int(0, 900),
      minflt: r.int(0, 5000),
      majflt: r.int(0, 20),
      readBytes: r.int(0, 100) * 4096,
      writeBytes: r.int(0, 100) * 4096,
      ctxVol: r.int(0, 9000),
      ctxNonvol: r.int(0, 300),
      wchan: r.pick(['futex_wait_queue', 'do_epoll_wait', 'hrtimer_nanosleep', '0']),
    }));
  }

  private build(): void {
    const r = this.rng;
    this.add(
      {
        pid: P.systemd,
        comm: 'systemd',
        cmdline: ['/sbin/init', 'splash'],
        ppid: 0,
        starttime: 37,
        ...this.userDefaults(),
        fds: 120,
        fdLimit: 524288,
        wchan: 'do_epoll_wait',
        pss: 6000,
        swapPss: 20,
        vmSwapKb: 96,
        cgroup: ['0::/init.scope'],
      },
      'service',
    );
    this.add({ pid: P.kthreadd, comm: 'kthreadd', kind: 'kernel', ppid: 0, state: 'S', wchan: 'kthreadd', starttime: 1 }, 'special');
    KTHREADS.forEach((name, i) => {
      this.add(
        {
          pid: 3 + i,
          comm: name.slice(0, 15),
          kind: 'kernel',
          state: r.pick(['I', 'I', 'S']),
          wchan: r.pick(['rescuer_thread', 'smpboot_thread_fn', 'worker_thread', 'kthread_worker_fn']),
          starttime: 2 + i,
          utime: r.int(0, 50),
          stime: r.int(0, 5000),
        },
        'service',
      );
    });

    const svc = (input: ProcessInput, threadNames?: readonly string[]): void => {
      const starttime = input.starttime ?? this.pastTicks();
      this.add(
        {
          ...this.userDefaults(),
          starttime,
          pss: r.int(100, 20000),
          swapPss: r.int(0, 50),
          vmSwapKb: r.int(0, 400),
          ctxVol: r.int(0, 50000),
          ctxNonvol: r.int(0, 2000),
          cgroup: [`0::/system.slice/${input.comm.replace(/[^a-z0-9]/g, '')}.service`],
          ...input,
          ...(threadNames === undefined ? {} : { threads: this.threads(input.pid, threadNames, starttime) }),
        },
        'service',
      );
    };
    svc({ pid: P.rsyslogd, comm: 'rsyslogd', cmdline: ['/usr/sbin/rsyslogd', '-n', '-iNONE'], wchan: 'do_select' }, [
      'in:imuxsock',
      'in:imklog',
      'rs:main Q:Reg',
    ]);
    svc({ pid: P.sshd, comm: 'sshd', cmdline: ['/usr/sbin/sshd', '-D'], wchan: 'do_select' });
    svc({ pid: P.sshdPriv, comm: 'sshd', ppid: P.sshd, cmdline: ['sshd: alice [priv]'], wchan: 'do_select' });
    svc({ pid: P.sshdUser, comm: 'sshd', ppid: P.sshdPriv, uid: 4242, cmdline: ['sshd: alice@pts/0'], wchan: 'do_select' });
    svc({ pid: P.userBash, comm: 'bash', ppid: P.sshdUser, uid: 4242, cmdline: ['-bash'], wchan: 'do_wait' });
    svc({ pid: P.vim, comm: 'vim', ppid: P.userBash, uid: 4242, cmdline: ['vim', 'notes.txt'], wchan: 'do_select', state: 'T' });
    svc({ pid: P.cron, comm: 'cron', cmdline: ['/usr/sbin/cron', '-f'], wchan: 'hrtimer_nanosleep' });
    svc({ pid: P.journald, comm: 'systemd-journal', cmdline: ['/lib/systemd/systemd-journald'], wchan: 'do_epoll_wait' });
    svc({
      pid: P.longName,
      comm: 'very-long-daemo',
      cmdline: ['/usr/local/bin/very-long-daemon-name', '--config', '/etc/vld.conf'],
      uid: 65534,
      wchan: 'do_epoll_wait',
    });
    svc({ pid: P.evil, comm: 'evil) (x y', cmdline: ['/opt/evil/bin/evil', '--x'], wchan: 'pipe_read' });
    svc({ pid: P.quote, comm: 'say"hi\\', cmdline: ['/usr/bin/say', 'hi'], wchan: 'pipe_read' });
    svc({ pid: P.newline, comm: 'two\nlines', cmdline: ['/usr/bin/two-lines'], wchan: 'pipe_read' });
    svc({ pid: P.nginx, comm: 'nginx', cmdline: ['nginx: master process /usr/sbin/nginx -g daemon off;'], wchan: 'sigsuspend' });
    for (let i = 1; i <= 4; i++) {
      svc({ pid: P.nginx + i, comm: 'nginx', ppid: P.nginx, uid: 65534, cmdline: ['nginx: worker process'], wchan: 'do_epoll_wait' });
    }
    svc({
      pid: P.postgres,
      comm: 'postgres',
      uid: 4242,
      cmdline: ['/usr/lib/postgresql/15/bin/postgres', '-D', '/var/lib/postgresql/15/main', '-c', 'config_file=/etc/postgresql/15/main/postgresql.conf'],
      wchan: 'do_epoll_wait',
    });
    ['checkpointer', 'background writer', 'walwriter', 'autovacuum launcher', 'logical replication launcher'].forEach((role, i) => {
      // setproctitle: one string padded with NULs (trailing NULs are trimmed by readers)
      svc({
        pid: P.postgres + 1 + i,
        comm: 'postgres',
        ppid: P.postgres,
        uid: 4242,
        cmdline: [],
        rawCmdline: `postgres: 15/main: ${role} ${'\0'.repeat(8)}`,
        wchan: 'do_epoll_wait',
      });
    });
    for (let i = 0; i < 6; i++) {
      svc(
        {
          pid: P.pythonWorkers + i * 10,
          comm: 'python3',
          uid: 65534,
          cmdline: ['/usr/bin/python3', '/srv/app/worker.py', `--role=${i % 2 === 0 ? 'ingest' : 'export'}`, String(i)],
          wchan: 'futex_wait_queue',
        },
        ['wrk-a', 'wrk-a', 'wrk-b'],
      );
    }
    for (let i = 0; i < 3; i++) {
      svc(
        {
          pid: P.java + i * 10,
          comm: 'java',
          uid: i === 2 ? 65534 : 0,
          cmdline: ['/usr/lib/jvm/java-17/bin/java', '-Xmx2g', '-jar', '/opt/svc/app.jar', ...(i === 2 ? ['--prod'] : [])],
          wchan: 'futex_wait_queue',
          fdLimit: 'unlimited',
        },
        ['GC Thread#0', 'GC Thread#1', 'C2 CompilerThre', 'VM Thread'],
      );
    }
    for (let i = 0; i < 3; i++) {
      const shell = P.tailShells + i * 10;
      svc({ pid: shell, comm: 'bash', cmdline: ['bash', '-c', 'tail -f /dev/null & wait'], wchan: 'do_wait' });
      svc({ pid: shell + 1, comm: 'tail', ppid: shell, cmdline: ['tail', '-f', '/dev/null'], wchan: 'do_select' });
    }

    // Processes whose values the test predicts (only scripted changes).
    const myappStart = 1234567;
    this.add(
      {
        pid: P.myapp,
        comm: 'myapp',
        cmdline: ['/opt/myapp/bin/myapp', '--serve'],
        starttime: myappStart,
        utime: 100,
        stime: 20,
        rss: 1000,
        vsize: 56274944,
        vmSwapKb: 660,
        readBytes: 8192,
        writeBytes: 4096,
        fds: 3,
        fdLimit: 1024,
        pss: 2000,
        swapPss: 10,
        ctxVol: 10,
        ctxNonvol: 1,
        wchan: 'futex_wait_queue',
        cgroup: ['0::/system.slice/myapp.service'],
        threads: [{ tid: P.myappWorker, name: 'myapp-worker', state: 'R', utime: 10, ctxVol: 50, ctxNonvol: 5, wchan: '0' }],
      },
      'special',
    );
    this.add({ pid: P.reaper, comm: 'reaper', cmdline: ['/usr/local/bin/reaper', '--watch'], starttime: 5000, fds: 4, wchan: 'do_wait' }, 'special');
    this.add({ pid: P.kid, comm: 'kid', kind: 'zombie', ppid: P.reaper, starttime: 5100, utime: 12 }, 'special');
    this.add({ pid: P.broken, comm: 'broken', cmdline: ['/usr/bin/broken'], starttime: 5200, omit: ['status'] }, 'special');
    this.add({ pid: P.nolimits, comm: 'nolimits', cmdline: ['/usr/bin/nolimits'], starttime: 5300, omit: ['limits'] }, 'special');
    this.add({ pid: P.locked, comm: 'locked', cmdline: ['/usr/bin/locked'], starttime: 5310, unreadable: ['status'] }, 'special');
    this.add(
      { pid: P.lockedLimits, comm: 'lockedlimits', cmdline: ['/usr/bin/lockedlimits'], starttime: 5320, unreadable: ['limits'] },
      'special',
    );
    this.add({ pid: P.noStat, comm: 'nostat', cmdline: ['/usr/bin/nostat'], starttime: 5330, unreadable: ['stat'] }, 'special');
    // as seen by a non-root exporter: io, fd, smaps and wchan unreadable (partial errors)
    this.add(
      {
        pid: P.softLocked,
        comm: 'softlocked',
        cmdline: ['/usr/bin/softlocked'],
        starttime: 5340,
        uid: 4242,
        readBytes: 4096,
        fds: 7,
        pss: 100,
        wchan: 'do_select',
        unreadable: ['io', 'fd', 'smaps', 'wchan'],
      },
      'special',
    );
    this.add(
      { pid: P.smapsOnly, comm: 'smapsonly', cmdline: ['/usr/bin/smapsonly'], starttime: 5400, rss: 10, pss: 33, swapPss: 7, smapsWithoutRollup: true },
      'special',
    );
    this.add({ pid: P.noFd, comm: 'nofd', cmdline: ['/usr/bin/nofd'], starttime: 5500, omit: ['fd'] }, 'special');
    this.add({ pid: P.unlimitedFd, comm: 'unlimitedfd', cmdline: ['/usr/bin/unlimitedfd'], starttime: 5600, fds: 9, fdLimit: 'unlimited' }, 'special');
    this.add({ pid: P.futured, comm: 'futured', cmdline: ['/usr/bin/futured'], uid: 4242, starttime: this.futureTicks(), utime: 77 }, 'special');
    for (const pid of [P.ephemeral1, P.ephemeral2]) {
      this.add({ pid, comm: 'ephemeral', cmdline: ['/usr/bin/ephemeral'], starttime: 6000 + pid, rss: 50, fds: 5 }, 'special');
    }
    this.add({ pid: P.reused, comm: 'reused', cmdline: ['/usr/bin/reused'], starttime: 7000, utime: 500 }, 'special');
    this.add({ pid: P.setuid, comm: 'setuid', cmdline: ['/usr/bin/setuid'], uid: 0, euid: 65534, starttime: 7100 }, 'special');
    this.add(
      {
        pid: P.churnd,
        comm: 'churnd',
        cmdline: ['/usr/sbin/churnd', '--foreground'],
        uid: 31337,
        starttime: 8000,
        ctxVol: 100,
        ctxNonvol: 10,
        wchan: 'futex_wait_queue',
        threads: [
          { tid: P.churnIo, name: 'churn-io', ctxVol: 2000, ctxNonvol: 5 },
          { tid: P.early, name: 'early', ctxVol: 5000, ctxNonvol: 3 },
        ],
      },
      'special',
    );

    // Bulk: several hundred ordinary processes, some children of interactive shells.
    const shells: number[] = [];
    for (let i = 0; i < 330; i++) {
      const pid = 2000 + i * 5 + r.int(0, 1); // room for up to 3 thread ids after each pid
      const t = r.pick(BULK);
      const parent = shells.length > 0 && r.chance(0.3) ? r.pick(shells) : 1;
      this.addBulk(pid, t, parent, this.pastTicks());
      if (t.comm === 'bash') shells.push(pid);
    }
  }

  private addBulk(pid: number, t: BulkTemplate, ppid: number, starttime: number): void {
    const r = this.rng;
    this.bulkSerial++;
    this.add(
      {
        pid,
        comm: t.comm,
        cmdline: t.argv(r, this.bulkSerial),
        ppid,
        uid: r.pick([0, 0, 65534, 4242]),
        starttime,
        ...this.userDefaults(),
        fdLimit: r.pick([1024, 4096, 65536, 'unlimited'] as const),
        state: t.threads === undefined ? r.pick(['S', 'S', 'S', 'R', 'D']) : 'S',
        wchan: t.wchan,
        pss: r.int(10, 9000),
        swapPss: r.int(0, 9),
        vmSwapKb: r.pick([0, 0, 4, 128]),
        readBytes: r.int(0, 1000) * 4096,
        writeBytes: r.int(0, 1000) * 4096,
        ctxVol: r.int(0, 20000),
        ctxNonvol: r.int(0, 500),
        cgroup: ['0::/user.slice/user-1000.slice/session-3.scope'],
        ...(t.threads === undefined ? {} : { threads: this.threads(pid, t.threads, starttime) }),
      },
      'bulk',
    );
  }

  /** A pid with room for 3 thread ids after it. */
  private newPid(reuse: boolean): number {
    const freed = reuse ? this.freedPids.shift() : undefined;
    if (freed !== undefined) return freed;
    const pid = this.nextPid;
    this.nextPid += 5;
    return pid;
  }

  /** Random growth of every non-scripted process (and some state/wchan/fd/rss changes). */
  private growAll(): void {
    const r = this.rng;
    for (const pid of [...this.services, ...this.bulk].sort((a, b) => a - b)) {
      const p = this.fs.get(pid);
      const kernel = p.kind === 'kernel';
      const threadGrowth =
        p.threads === undefined
          ? undefined
          : p.threads.map((t) => ({
              ...t,
              utime: t.utime + r.int(0, 20),
              stime: t.stime + r.int(0, 5),
              minflt: t.minflt + r.int(0, 100),
              majflt: t.majflt + r.int(0, 1),
              readBytes: t.readBytes + r.int(0, 4) * 4096,
              writeBytes: t.writeBytes + r.int(0, 4) * 4096,
              ctxVol: t.ctxVol + r.int(0, 40),
              ctxNonvol: t.ctxNonvol + r.int(0, 4),
            }));
      const extraUtime = threadGrowth === undefined ? 0 : threadGrowth.reduce((a, t, i) => a + t.utime - (p.threads?.[i]?.utime ?? 0), 0);
      const singleUser = p.threads === undefined && p.kind === 'user';
      this.fs.update(pid, {
        utime: p.utime + r.int(0, 30) + extraUtime,
        stime: p.stime + r.int(0, 10),
        minflt: kernel ? 0 : p.minflt + r.int(0, 500),
        majflt: kernel ? 0 : p.majflt + r.int(0, 3),
        readBytes: p.readBytes + r.int(0, 8) * 4096,
        writeBytes: p.writeBytes + r.int(0, 8) * 4096,
        ctxVol: p.ctxVol + r.int(0, 60),
        ctxNonvol: p.ctxNonvol + r.int(0, 6),
        ...(kernel ? {} : { rss: Math.max(1, p.rss + r.int(-50, 80)), fds: Math.max(3, p.fds + r.int(-2, 3)) }),
        ...(singleUser && p.state !== 'T' && r.chance(0.2) ? { state: r.pick(['R', 'S', 'D']) } : {}),
        ...(singleUser && r.chance(0.1) ? { wchan: r.pick(['do_select', 'pipe_read', 'do_wait', '0']) } : {}),
        ...(threadGrowth === undefined ? {} : { threads: threadGrowth }),
      });
    }
  }

  /** Bulk processes without live children exit. */
  private exitSome(n: number): void {
    const parents = new Set(this.fs.processes().map((p) => p.ppid));
    const leaves = [...this.bulk].filter((pid) => !parents.has(pid)).sort((a, b) => a - b);
    for (let i = 0; i < n && leaves.length > 0; i++) {
      const idx = this.rng.int(0, leaves.length - 1);
      const [pid] = leaves.splice(idx, 1);
      if (pid === undefined) continue;
      this.fs.remove(pid);
      this.bulk.delete(pid);
      this.freedPids.push(pid);
    }
  }

  private spawnSome(n: number, reusePids: boolean): void {
    const parents = [P.tailShells, P.userBash, P.pythonWorkers, 1];
    for (let i = 0; i < n; i++) {
      const pid = this.newPid(reusePids);
      const t = this.rng.pick(BULK);
      this.addBulk(pid, t, this.rng.pick(parents), this.futureTicks());
    }
  }

  private round1(): void {
    const fs = this.fs;
    this.growAll();
    // §7 of the reference notes: 100→150 ticks is 0.5 s, a thread 10→40 ticks 0.30000000000000004 s
    const myapp = fs.get(P.myapp);
    fs.update(P.myapp, { utime: 150, writeBytes: myapp.writeBytes + 4096 });
    fs.updateThread(P.myapp, P.myappWorker, { utime: 40, ctxVol: 80 });
    // churnd: switches grow, thread `late` appears
    const churnd = fs.get(P.churnd);
    fs.update(P.churnd, { ctxVol: churnd.ctxVol + 20, ctxNonvol: churnd.ctxNonvol + 10 });
    fs.updateThread(P.churnd, P.churnIo, { ctxVol: 2020, ctxNonvol: 13 });
    fs.update(P.churnd, {
      threads: [...(fs.get(P.churnd).threads ?? []), { tid: P.late, name: 'late', starttime: this.futureTicks(), ctxVol: 100, ctxNonvol: 2 }],
    });
    for (const pid of [P.ephemeral1, P.ephemeral2]) fs.update(pid, { utime: fs.get(pid).utime + 50 });
    fs.update(P.reused, { utime: 520 });
    // started after the exporter: whole lifetime counts
    this.add({ pid: P.latecomer, comm: 'latecomer', cmdline: ['/usr/bin/latecomer'], starttime: this.futureTicks(), utime: 250, writeBytes: 8192 }, 'special');
    const st = this.futureTicks();
    this.add(
      {
        pid: P.newPyWorker,
        comm: 'python3',
        uid: 65534,
        cmdline: ['/usr/bin/python3', '/srv/app/worker.py', '--role=ingest', '6'],
        starttime: st,
        utime: 300,
        wchan: 'futex_wait_queue',
        threads: this.threads(P.newPyWorker, ['wrk-a', 'wrk-a', 'wrk-b'], st),
      },
      'service',
    );
    this.spawnSome(10, false);
    this.exitSome(8);
  }

  private round2(): void {
    const fs = this.fs;
    this.growAll();
    // pid reuse: same pid, new start time (after the exporter started)
    fs.remove(P.reused);
    this.add({ pid: P.reused, comm: 'reused', cmdline: ['/usr/bin/reused'], starttime: this.futureTicks(), utime: 30 }, 'special');
    // churnd: thread `early` exits; nothing else changes in churnd
    fs.update(P.churnd, { threads: (fs.get(P.churnd).threads ?? []).filter((t) => t.tid !== P.early) });
    // a thread renames itself (same tid and start time)
    fs.updateThread(P.myapp, P.myappWorker, { name: 'myapp-flusher', utime: 50 });
    // first seen now, but started long before the exporter: contributes nothing yet
    this.add({ pid: P.pastcomer, comm: 'pastcomer', cmdline: ['/usr/bin/pastcomer'], starttime: 9000, utime: 999 }, 'special');
    // a whole shell (and its tail child) exits
    const shell = P.tailShells + 20;
    for (const p of fs.processes().filter((q) => q.ppid === shell)) {
      fs.remove(p.pid);
      this.bulk.delete(p.pid);
      this.services.delete(p.pid);
    }
    fs.remove(shell);
    this.services.delete(shell);
    this.spawnSome(6, false);
    this.exitSome(8);
  }

  private round3(): void {
    const fs = this.fs;
    this.growAll();
    for (const pid of [P.ephemeral1, P.ephemeral2]) fs.remove(pid);
    const churnd = fs.get(P.churnd);
    fs.update(P.churnd, {
      ctxVol: churnd.ctxVol + 5,
      threads: [...(churnd.threads ?? []), { tid: P.earlyAgain, name: 'early', starttime: this.futureTicks(), ctxVol: 7, ctxNonvol: 1 }],
    });
    fs.update(P.broken, { omit: [] });
    fs.update(P.locked, { unreadable: [] });
    this.spawnSome(8, true);
    this.exitSome(6);
  }

  private round4(): void {
    const fs = this.fs;
    this.growAll();
    fs.remove(P.kid);
    this.add(
      { pid: P.kid, comm: 'reborn', cmdline: ['/usr/bin/reborn'], ppid: P.reaper, uid: 65534, starttime: this.futureTicks(), utime: 60 },
      'special',
    );
    fs.update(P.pastcomer, { utime: 1039 });
    fs.update(P.futured, { utime: 80 });
    const churnd = fs.get(P.churnd);
    fs.update(P.churnd, { ctxVol: churnd.ctxVol + 3, ctxNonvol: churnd.ctxNonvol + 1 });
    this.spawnSome(5, true);
    this.exitSome(5);
  }
}

// ---------------------------------------------------------------------------------------------
// Expected values

type Expect = readonly [seriesKey: string, value: number | undefined];

interface RunSpec {
  readonly title: string;
  readonly config: string;
  readonly children: boolean;
  readonly gatherSmaps: boolean;
  /** The group holding churnd, alone. */
  readonly churnGroup: string;
  /** Values the reference must report (undefined = the series must be absent). */
  readonly expectations: (s: Scenario, round: number, run: RunSpec) => Expect[];
}

function startSeconds(s: Scenario, pid: number): number {
  return Math.floor((s.fs.btime * 100 + s.fs.get(pid).starttime) / 100);
}

/** Expectations for the {{.Comm}} catch-all config (group name = comm). */
function commExpectations(s: Scenario, round: number, run: RunSpec): Expect[] {
  const e: Expect[] = [];
  const grp = (family: string, group: string, labels: Record<string, string> = {}): string => key(family, { groupname: group, ...labels });
  const cpuUser = (group: string): string => grp('cpu_seconds_total', group, { mode: 'user' });
  const kthreads = s.fs.processes().filter((p) => p.kind === 'kernel').length;
  if (round === 0) {
    e.push(
      [cpuUser('myapp'), 0],
      [grp('num_procs', 'myapp'), 1],
      [grp('num_threads', 'myapp'), 2],
      // process S + main task S + worker R: the main thread counts twice (#338)
      [grp('states', 'myapp', { state: 'Running' }), 1],
      [grp('states', 'myapp', { state: 'Sleeping' }), 2],
      [grp('threads_wchan', 'myapp', { wchan: 'futex_wait_queue' }), 2],
      [grp('memory_bytes', 'myapp', { memtype: 'resident' }), 1000 * PAGE_SIZE],
      [grp('memory_bytes', 'myapp', { memtype: 'virtual' }), 56274944],
      [grp('memory_bytes', 'myapp', { memtype: 'swapped' }), 660 * 1024],
      [grp('memory_bytes', 'myapp', { memtype: 'proportionalResident' }), run.gatherSmaps ? 2000 * 1024 : undefined],
      [grp('memory_bytes', 'myapp', { memtype: 'proportionalSwapped' }), run.gatherSmaps ? 10 * 1024 : undefined],
      [grp('open_filedesc', 'myapp'), 3],
      [grp('worst_fd_ratio', 'myapp'), 3 / 1024],
      [grp('oldest_start_time_seconds', 'myapp'), startSeconds(s, P.myapp)],
      [grp('thread_count', 'myapp', { threadname: 'myapp-worker' }), 1],
      // first seen after startup's future: whole lifetime counted in the startup cycle
      [cpuUser('futured'), 0.77],
      [grp('num_procs', 'kernel'), run.children ? kthreads : 1],
      [grp('num_procs', 'reaper'), run.children ? 2 : 1],
      [grp('states', 'reaper', { state: 'Zombie' }), run.children ? 1 : 0],
      [grp('num_procs', 'evil) (x y'), 1],
      [grp('num_procs', 'say"hi\\'), 1],
      [grp('num_procs', 'two\nlines'), 1],
      [grp('num_procs', 'very-long-daemo'), 1],
      [grp('num_procs', 'broken'), undefined],
      [grp('num_procs', 'nolimits'), undefined],
      [grp('num_procs', 'locked'), undefined],
      [grp('num_procs', 'lockedlimits'), undefined],
      [grp('num_procs', 'nostat'), undefined],
      [grp('num_procs', 'softlocked'), 1],
      [grp('read_bytes_total', 'softlocked'), 0],
      [grp('open_filedesc', 'softlocked'), 0],
      [grp('worst_fd_ratio', 'softlocked'), 0],
      [grp('memory_bytes', 'softlocked', { memtype: 'proportionalResident' }), run.gatherSmaps ? 0 : undefined],
      [grp('threads_wchan', 'softlocked', { wchan: 'do_select' }), undefined],
      [grp('memory_bytes', 'smapsonly', { memtype: 'proportionalResident' }), run.gatherSmaps ? 33 * 1024 : undefined],
      [grp('memory_bytes', 'smapsonly', { memtype: 'proportionalSwapped' }), run.gatherSmaps ? 7 * 1024 : undefined],
      [grp('open_filedesc', 'nofd'), 0],
      [grp('worst_fd_ratio', 'nofd'), 0],
      // 'unlimited' is 2^64-1, which is 2^64 as a float64
      [grp('worst_fd_ratio', 'unlimitedfd'), 9 / 2 ** 64],
    );
  }
  if (round === 1) {
    e.push(
      [cpuUser('myapp'), 0.5],
      [grp('write_bytes_total', 'myapp'), 4096],
      [grp('thread_cpu_seconds_total', 'myapp', { mode: 'user', threadname: 'myapp-worker' }), 0.30000000000000004],
      // ctx switches of a multi-threaded process are the sum over its threads
      [grp('context_switches_total', 'myapp', { ctxswitchtype: 'voluntary' }), 30],
      [cpuUser('latecomer'), 2.5],
      [grp('write_bytes_total', 'latecomer'), 8192],
      [grp('thread_count', 'churnd', { threadname: 'late' }), 1],
      // a thread first seen contributes 0 to the thread counters
      [grp('thread_context_switches_total', 'churnd', { threadname: 'late', ctxswitchtype: 'voluntary' }), 0],
      [cpuUser('ephemeral'), 1],
      [cpuUser('reused'), 0.2],
    );
  }
  if (round === 2) {
    e.push(
      // 0.2 from the first identity, then the new identity's whole 30 ticks
      [cpuUser('reused'), 0.2 + 0.3],
      [grp('thread_count', 'churnd', { threadname: 'early' }), undefined],
      [grp('thread_context_switches_total', 'churnd', { threadname: 'early', ctxswitchtype: 'voluntary' }), undefined],
      [cpuUser('pastcomer'), 0],
      [grp('num_procs', 'pastcomer'), 1],
      [grp('thread_cpu_seconds_total', 'myapp', { mode: 'user', threadname: 'myapp-flusher' }), 50 / 100 - 40 / 100],
      [grp('thread_count', 'myapp', { threadname: 'myapp-worker' }), undefined],
    );
  }
  if (round === 3) {
    e.push(
      [grp('num_procs', 'ephemeral'), 0],
      [grp('oldest_start_time_seconds', 'ephemeral'), EMPTY_GROUP_START],
      [grp('memory_bytes', 'ephemeral', { memtype: 'resident' }), 0],
      [grp('open_filedesc', 'ephemeral'), 0],
      [cpuUser('ephemeral'), 1],
      [grp('threads_wchan', 'ephemeral', { wchan: 'do_select' }), undefined],
      [grp('num_procs', 'broken'), 1],
      [cpuUser('broken'), 0],
      [grp('num_procs', 'locked'), 1],
      [grp('thread_count', 'churnd', { threadname: 'early' }), 1],
      [grp('thread_context_switches_total', 'churnd', { threadname: 'early', ctxswitchtype: 'voluntary' }), 0],
    );
  }
  if (round === 4) {
    e.push(
      [cpuUser('pastcomer'), 1039 / 100 - 999 / 100],
      [cpuUser('futured'), 77 / 100 + (80 / 100 - 77 / 100)],
      [grp('num_procs', 'reborn'), 1],
      [cpuUser('reborn'), 0.6],
      [grp('num_procs', 'reaper'), 1],
      [grp('states', 'reaper', { state: 'Zombie' }), 0],
    );
  }
  return e;
}

function matchesExpectations(_s: Scenario, round: number): Expect[] {
  if (round !== 0) return [];
  const np = (group: string): string => key('num_procs', { groupname: group });
  return [
    [np('shell:map[:-f dev:/dev/null]'), 6],
    [np('pg:map[:checkpointer]'), 1],
    [np('pg:map[:walwriter]'), 1],
    [np('web:master:<no value>'), 1],
    [np('web:worker:<no value>'), 4],
    [np('py:/srv/app/worker.py:ingest'), 3],
    [np('py:/srv/app/worker.py:export'), 3],
    [np('jvm:map[:-jar /opt/svc/app.jar jar:/opt/svc/app.jar profile:]'), 2],
    [np('jvm:map[:-jar /opt/svc/app.jar --prod jar:/opt/svc/app.jar profile:--prod]'), 1],
    [np('myapp-serve'), 1],
    [np('churn'), 1],
  ];
}

function exeUserExpectations(s: Scenario, round: number): Expect[] {
  if (round !== 0) return [];
  const np = (group: string): string => key('num_procs', { groupname: group });
  const pythons = s.fs.processes().filter((p) => p.cmdline[0] === '/usr/bin/python3').length;
  return [
    [np('python3'), pythons],
    [np('java'), 3],
    [np('very-long-daemon-name'), 1],
    [np('full:/usr/sbin/sshd'), 1],
    [np('full:/usr/sbin/cron'), 1],
    [np('user:31337'), 1],
    [np('nginx'), undefined],
  ];
}

const RUNS: readonly RunSpec[] = [
  { title: '{{.Comm}} catch-all, children on', config: 'comm-catchall.yaml', children: true, gatherSmaps: true, churnGroup: 'churnd', expectations: commExpectations },
  {
    title: '{{.Comm}} catch-all, children off, no smaps',
    config: 'comm-catchall.yaml',
    children: false,
    gatherSmaps: false,
    churnGroup: 'churnd',
    expectations: commExpectations,
  },
  { title: '{{.Matches}} named and unnamed groups, children on', config: 'matches.yaml', children: true, gatherSmaps: true, churnGroup: 'churn', expectations: matchesExpectations },
  { title: '{{.Matches}} named and unnamed groups, children off', config: 'matches.yaml', children: false, gatherSmaps: true, churnGroup: 'churn', expectations: () => [] },
  { title: '{{.ExeBase}} / {{.ExeFull}} / {{.Username}}, children on', config: 'exebase-username.yaml', children: true, gatherSmaps: true, churnGroup: 'user:31337', expectations: exeUserExpectations },
];

// ---------------------------------------------------------------------------------------------
// Comparison

function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= REL_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

function groupSeries(e: Exposition): Map<string, number> {
  return new Map([...e.series].filter(([k]) => k.startsWith(GROUP_PREFIX)));
}

interface FixContext {
  readonly churnGroup: string;
  readonly churnFixed: { readonly vol: number; readonly nonvol: number };
  readonly mains: ReadonlyMap<string, MainThread>;
}

/**
 * The reference's group series turned into what procpush must serve: exceptions (a) and (b) applied
 * to exactly the series they concern. Returns the expectation and the keys that were changed.
 */
function expectedProcpushSeries(ref: Exposition, fix: FixContext): { expected: Map<string, number>; adjusted: string[] } {
  const expected = groupSeries(ref);
  const adjusted: string[] = [];
  // (b) one fewer per tracked multi-threaded process, at its main thread's state and wchan
  for (const s of ref.samples) {
    if (s.name !== `${GROUP_PREFIX}thread_count`) continue;
    const threadname = s.labels.threadname ?? '';
    const groupname = s.labels.groupname ?? '';
    const main = fix.mains.get(threadname);
    if (main === undefined) continue;
    const stateKey = key('states', { groupname, state: stateName(main.state) });
    const sv = expected.get(stateKey);
    if (sv === undefined) throw new Error(`reference has thread_count for ${threadname} in ${groupname} but no ${stateKey}`);
    expected.set(stateKey, sv - s.value);
    adjusted.push(stateKey);
    if (main.wchan !== '' && main.wchan !== '0') {
      const wchanKey = key('threads_wchan', { groupname, wchan: main.wchan });
      const wv = expected.get(wchanKey);
      if (wv === undefined) throw new Error(`reference has no ${wchanKey}`);
      if (wv - s.value === 0) expected.delete(wchanKey);
      else expected.set(wchanKey, wv - s.value);
      adjusted.push(wchanKey);
    }
  }
  // (a) the only group with thread exits: never decreasing, never wrapping
  for (const [type, value] of [
    ['voluntary', fix.churnFixed.vol],
    ['nonvoluntary', fix.churnFixed.nonvol],
  ] as const) {
    const k = key('context_switches_total', { groupname: fix.churnGroup, ctxswitchtype: type });
    if (!expected.has(k)) throw new Error(`reference has no ${k}`);
    expected.set(k, value);
    adjusted.push(k);
  }
  return { expected, adjusted };
}

function diffSeries(expected: ReadonlyMap<string, number>, actual: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  for (const [k, v] of expected) {
    const a = actual.get(k);
    if (a === undefined) problems.push(`missing   ${k} (expected ${v})`);
    else if (!close(v, a)) problems.push(`differs   ${k}: procpush ${a}, expected ${v}`);
  }
  for (const [k, a] of actual) {
    if (!expected.has(k)) problems.push(`unexpected ${k} ${a}`);
  }
  return problems.sort();
}

function diffFamilies(ref: Exposition, pp: Exposition): string[] {
  const problems: string[] = [];
  for (const [name, meta] of ref.families) {
    if (!name.startsWith('namedprocess_')) continue;
    const other = pp.families.get(name);
    if (other === undefined) {
      problems.push(`family ${name} missing`);
      continue;
    }
    if (other.help !== meta.help) problems.push(`HELP of ${name}: ${JSON.stringify(other.help)} vs ${JSON.stringify(meta.help)}`);
    if (other.type !== meta.type) problems.push(`TYPE of ${name}: ${String(other.type)} vs ${String(meta.type)}`);
  }
  return problems;
}

function scrapeCounter(e: Exposition, name: string): number | undefined {
  return e.series.get(`namedprocess_scrape_${name}`);
}

function formatProblems(title: string, problems: readonly string[]): string {
  const shown = problems.slice(0, 60);
  return `${title}: ${problems.length} problem(s)\n  ${shown.join('\n  ')}${problems.length > shown.length ? '\n  …' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Tests

interface RoundRecord {
  readonly ref: Exposition;
  readonly pp: Exposition | Error | undefined;
  readonly fix: FixContext;
  readonly procreadExpected: number;
  readonly cycles: number;
}

/** With DIFF_DUMP_DIR set, every scrape is written there (for looking at a failure). */
function dump(run: RunSpec, round: number, who: string, text: string): void {
  const dir = process.env.DIFF_DUMP_DIR;
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  const slug = `${run.config.replace(/\.yaml$/, '')}-children-${String(run.children)}-smaps-${String(run.gatherSmaps)}`;
  writeFileSync(join(dir, `${slug}-round${round}-${who}.prom`), text);
}

const referenceSkip = referenceAvailable()
  ? false
  : `${REFERENCE_BIN} is not installed (apt-get install prometheus-process-exporter)`;
if (referenceSkip !== false && process.env.CI !== undefined) {
  throw new Error(`CI must install the reference: ${referenceSkip}`);
}
const procpushSkip = procpushAvailable()
  ? false
  : `${PROCPUSH_CLI} does not exist (run \`npm run build\`): only the reference half of the differential test ran`;

for (const run of RUNS) {
  void describe(`differential against process-exporter 0.7.10: ${run.title}`, { skip: referenceSkip }, () => {
    let scenario: Scenario | undefined;
    let ref: ExporterHandle | undefined;
    let pp: ExporterHandle | undefined;
    let ppStartError: Error | undefined;
    const rounds: RoundRecord[] = [];

    before(async () => {
      scenario = new Scenario(makeTreeDir('procpush-diff-'));
      scenario.observeCycle(); // both exporters' startup cycle sees the initial tree
      const options = {
        procfs: scenario.fs.root,
        configPath: join(FIXTURES, run.config),
        children: run.children,
        threads: true,
        gatherSmaps: run.gatherSmaps,
      };
      ref = await startReference(options);
      if (procpushSkip === false) {
        try {
          pp = await startProcpush(options);
        } catch (err) {
          ppStartError = err instanceof Error ? err : new Error(String(err));
        }
      }
    });

    after(async () => {
      await Promise.all([ref?.stop(), pp?.stop()]);
      scenario?.fs.destroy();
    });

    for (let round = 0; round <= ROUNDS; round++) {
      void it(`round ${round} (${ROUND_TITLES[round] ?? ''}): the reference reports the values the model predicts`, async () => {
        assert.ok(scenario !== undefined && ref !== undefined, 'setup failed');
        assert.equal(rounds.length, round, 'an earlier round did not complete');
        if (round > 0) scenario.mutate();
        scenario.observeCycle();
        const refText = await ref.scrape();
        dump(run, round, 'reference', refText);
        const refExp = parseExposition(refText);
        let ppExp: Exposition | Error | undefined = ppStartError;
        if (pp !== undefined) {
          try {
            const ppText = await pp.scrape();
            dump(run, round, 'procpush', ppText);
            ppExp = parseExposition(ppText);
          } catch (err) {
            ppExp = err instanceof Error ? err : new Error(String(err));
          }
        }
        const fix: FixContext = {
          churnGroup: run.churnGroup,
          churnFixed: { vol: scenario.churn.fixedVol, nonvol: scenario.churn.fixedNonvol },
          mains: scenario.multiThreadedMains(),
        };
        const procreadExpected = scenario.hardFailuresPerCycle.reduce((a, b) => a + b.unreadable, 0);
        rounds.push({ ref: refExp, pp: ppExp, fix, procreadExpected, cycles: scenario.hardFailuresPerCycle.length });

        const problems: string[] = [];
        const check = (k: string, want: number | undefined): void => {
          const got = refExp.series.get(k);
          if (want === undefined) {
            if (got !== undefined) problems.push(`${k}: expected absent, got ${got}`);
          } else if (got === undefined) problems.push(`${k}: missing (expected ${want})`);
          else if (!close(got, want)) problems.push(`${k}: got ${got}, expected ${want}`);
        };
        for (const [k, v] of run.expectations(scenario, round, run)) check(k, v);
        // the reference's own context-switch bugs (#193 decrease, #287 wrap), from the model
        check(key('context_switches_total', { groupname: run.churnGroup, ctxswitchtype: 'voluntary' }), Number(scenario.churn.refVol));
        check(key('context_switches_total', { groupname: run.churnGroup, ctxswitchtype: 'nonvoluntary' }), Number(scenario.churn.refNonvol));
        // procread errors: the startup cycle's only, frozen afterwards
        check('namedprocess_scrape_procread_errors', scenario.hardFailuresPerCycle[0]?.all);
        check('namedprocess_scrape_errors', 0);
        assert.deepEqual(problems, [], formatProblems(`reference, round ${round}`, problems));
        assert.ok(groupSeries(refExp).size > 100, 'the reference exposed suspiciously few group series');
      });

      void it(`round ${round}: procpush serves the same namedprocess_namegroup_* series, except the documented fixes`, { skip: procpushSkip }, () => {
        const rec = rounds[round];
        assert.ok(rec !== undefined, 'the reference round did not run');
        if (rec.pp instanceof Error) throw rec.pp;
        assert.ok(rec.pp !== undefined, 'procpush was not scraped');
        const { expected, adjusted } = expectedProcpushSeries(rec.ref, rec.fix);
        const problems = [...diffSeries(expected, groupSeries(rec.pp)), ...diffFamilies(rec.ref, rec.pp)];
        const refScrapeErrors = scrapeCounter(rec.ref, 'errors');
        const refPartial = scrapeCounter(rec.ref, 'partial_errors');
        if (scrapeCounter(rec.pp, 'errors') !== refScrapeErrors) {
          problems.push(`namedprocess_scrape_errors: procpush ${String(scrapeCounter(rec.pp, 'errors'))}, reference ${String(refScrapeErrors)}`);
        }
        if (scrapeCounter(rec.pp, 'partial_errors') !== refPartial) {
          problems.push(
            `namedprocess_scrape_partial_errors: procpush ${String(scrapeCounter(rec.pp, 'partial_errors'))}, reference ${String(refPartial)}`,
          );
        }
        // (c) every cycle's hard read failures
        if (scrapeCounter(rec.pp, 'procread_errors') !== rec.procreadExpected) {
          problems.push(
            `namedprocess_scrape_procread_errors: procpush ${String(scrapeCounter(rec.pp, 'procread_errors'))}, expected ${rec.procreadExpected} (sum over ${rec.cycles} cycles)`,
          );
        }
        assert.deepEqual(problems, [], formatProblems(`procpush vs reference, round ${round} (adjusted: ${adjusted.length} series)`, problems));
        assert.ok(adjusted.length > 2, 'exception (b) was never exercised: no multi-threaded process tracked');
      });
    }
  });
}
