import type { GroupStats } from '../tracker/grouper.js';
import type { Label, MetricFamily, MetricType, Sample } from './types.js';

/** Go's zero time.Time as Unix seconds: what process-exporter reports as the start of an empty group. */
export const GO_ZERO_TIME_UNIX = -62135596800;

export interface ScrapeErrorCounts {
  /** Cycles in which the procfs root could not be listed. */
  readonly scrapeErrors: number;
  readonly procReadErrors: number;
  readonly partialErrors: number;
}

export interface SeriesOptions {
  /** Emit the per-thread-name families (`-threads`). */
  readonly threads: boolean;
  /** Emit the proportionalResident / proportionalSwapped memtypes (`-gather-smaps`). */
  readonly gatherSmaps: boolean;
}

/** A family of the metric catalogue: name, HELP, TYPE and the names of the labels its series carry. */
export interface FamilySpec {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labels: readonly string[];
}

/** Names, HELP texts (sic) and types exactly as process-exporter's collector declares them. */
export const FAMILIES = {
  numProcs: { name: 'namedprocess_namegroup_num_procs', help: 'number of processes in this group', type: 'gauge', labels: ['groupname'] },
  cpuSeconds: { name: 'namedprocess_namegroup_cpu_seconds_total', help: 'Cpu user usage in seconds', type: 'counter', labels: ['groupname', 'mode'] },
  readBytes: { name: 'namedprocess_namegroup_read_bytes_total', help: 'number of bytes read by this group', type: 'counter', labels: ['groupname'] },
  writeBytes: { name: 'namedprocess_namegroup_write_bytes_total', help: 'number of bytes written by this group', type: 'counter', labels: ['groupname'] },
  majorPageFaults: { name: 'namedprocess_namegroup_major_page_faults_total', help: 'Major page faults', type: 'counter', labels: ['groupname'] },
  minorPageFaults: { name: 'namedprocess_namegroup_minor_page_faults_total', help: 'Minor page faults', type: 'counter', labels: ['groupname'] },
  contextSwitches: { name: 'namedprocess_namegroup_context_switches_total', help: 'Context switches', type: 'counter', labels: ['ctxswitchtype', 'groupname'] },
  memoryBytes: { name: 'namedprocess_namegroup_memory_bytes', help: 'number of bytes of memory in use', type: 'gauge', labels: ['groupname', 'memtype'] },
  openFiledesc: { name: 'namedprocess_namegroup_open_filedesc', help: 'number of open file descriptors for this group', type: 'gauge', labels: ['groupname'] },
  worstFdRatio: {
    name: 'namedprocess_namegroup_worst_fd_ratio',
    help: 'the worst (closest to 1) ratio between open fds and max fds among all procs in this group',
    type: 'gauge',
    labels: ['groupname'],
  },
  oldestStartTime: {
    name: 'namedprocess_namegroup_oldest_start_time_seconds',
    help: 'start time in seconds since 1970/01/01 of oldest process in group',
    type: 'gauge',
    labels: ['groupname'],
  },
  numThreads: { name: 'namedprocess_namegroup_num_threads', help: 'Number of threads', type: 'gauge', labels: ['groupname'] },
  states: {
    name: 'namedprocess_namegroup_states',
    help: 'Number of processes in states Running, Sleeping, Waiting, Zombie, or Other',
    type: 'gauge',
    labels: ['groupname', 'state'],
  },
  threadsWchan: { name: 'namedprocess_namegroup_threads_wchan', help: 'Number of threads in this group waiting on each wchan', type: 'gauge', labels: ['groupname', 'wchan'] },
  threadCount: { name: 'namedprocess_namegroup_thread_count', help: 'Number of threads in this group with same threadname', type: 'gauge', labels: ['groupname', 'threadname'] },
  threadCpuSeconds: { name: 'namedprocess_namegroup_thread_cpu_seconds_total', help: 'Cpu user/system usage in seconds', type: 'counter', labels: ['groupname', 'mode', 'threadname'] },
  threadIoBytes: { name: 'namedprocess_namegroup_thread_io_bytes_total', help: 'number of bytes read/written by these threads', type: 'counter', labels: ['groupname', 'iomode', 'threadname'] },
  threadMajorPageFaults: {
    name: 'namedprocess_namegroup_thread_major_page_faults_total',
    help: 'Major page faults for these threads',
    type: 'counter',
    labels: ['groupname', 'threadname'],
  },
  threadMinorPageFaults: {
    name: 'namedprocess_namegroup_thread_minor_page_faults_total',
    help: 'Minor page faults for these threads',
    type: 'counter',
    labels: ['groupname', 'threadname'],
  },
  threadContextSwitches: {
    name: 'namedprocess_namegroup_thread_context_switches_total',
    help: 'Context switches for these threads',
    type: 'counter',
    labels: ['ctxswitchtype', 'groupname', 'threadname'],
  },
  scrapeErrors: { name: 'namedprocess_scrape_errors', help: 'general scrape errors: no proc metrics collected during a cycle', type: 'counter', labels: [] },
  scrapeProcReadErrors: {
    name: 'namedprocess_scrape_procread_errors',
    help: "incremented each time a proc's metrics collection fails",
    type: 'counter',
    labels: [],
  },
  scrapePartialErrors: {
    name: 'namedprocess_scrape_partial_errors',
    help: "incremented each time a tracked proc's metrics collection fails partially, e.g. unreadable I/O stats",
    type: 'counter',
    labels: [],
  },
} as const satisfies Record<string, FamilySpec>;

type FamilyKey = keyof typeof FAMILIES;

/** Labels must be passed sorted by name. */
function l(...pairs: string[]): Label[] {
  const out: Label[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) out.push({ name: pairs[i] ?? '', value: pairs[i + 1] ?? '' });
  return out;
}

/** The label sets of one group's series, built once and reused every cycle the group exists. */
interface GroupLabels {
  seen: number;
  readonly group: Label[];
  readonly memResident: Label[];
  readonly memVirtual: Label[];
  readonly memSwapped: Label[];
  readonly memProportionalResident: Label[];
  readonly memProportionalSwapped: Label[];
  readonly cpuUser: Label[];
  readonly cpuSystem: Label[];
  readonly ctxVoluntary: Label[];
  readonly ctxNonvoluntary: Label[];
  readonly stateRunning: Label[];
  readonly stateSleeping: Label[];
  readonly stateWaiting: Label[];
  readonly stateZombie: Label[];
  readonly stateOther: Label[];
  readonly wchans: Map<string, { seen: number; readonly labels: Label[] }>;
  readonly threads: Map<string, ThreadLabels>;
}

interface ThreadLabels {
  seen: number;
  readonly thread: Label[];
  readonly cpuUser: Label[];
  readonly cpuSystem: Label[];
  readonly ioRead: Label[];
  readonly ioWrite: Label[];
  readonly ctxVoluntary: Label[];
  readonly ctxNonvoluntary: Label[];
}

function groupLabels(g: string): GroupLabels {
  const group = l('groupname', g);
  return {
    seen: 0,
    group,
    memResident: l('groupname', g, 'memtype', 'resident'),
    memVirtual: l('groupname', g, 'memtype', 'virtual'),
    memSwapped: l('groupname', g, 'memtype', 'swapped'),
    memProportionalResident: l('groupname', g, 'memtype', 'proportionalResident'),
    memProportionalSwapped: l('groupname', g, 'memtype', 'proportionalSwapped'),
    cpuUser: l('groupname', g, 'mode', 'user'),
    cpuSystem: l('groupname', g, 'mode', 'system'),
    ctxVoluntary: l('ctxswitchtype', 'voluntary', 'groupname', g),
    ctxNonvoluntary: l('ctxswitchtype', 'nonvoluntary', 'groupname', g),
    stateRunning: l('groupname', g, 'state', 'Running'),
    stateSleeping: l('groupname', g, 'state', 'Sleeping'),
    stateWaiting: l('groupname', g, 'state', 'Waiting'),
    stateZombie: l('groupname', g, 'state', 'Zombie'),
    stateOther: l('groupname', g, 'state', 'Other'),
    wchans: new Map(),
    threads: new Map(),
  };
}

function threadLabels(g: string, n: string): ThreadLabels {
  return {
    seen: 0,
    thread: l('groupname', g, 'threadname', n),
    cpuUser: l('groupname', g, 'mode', 'user', 'threadname', n),
    cpuSystem: l('groupname', g, 'mode', 'system', 'threadname', n),
    ioRead: l('groupname', g, 'iomode', 'read', 'threadname', n),
    ioWrite: l('groupname', g, 'iomode', 'write', 'threadname', n),
    ctxVoluntary: l('ctxswitchtype', 'voluntary', 'groupname', g, 'threadname', n),
    ctxNonvoluntary: l('ctxswitchtype', 'nonvoluntary', 'groupname', g, 'threadname', n),
  };
}

/**
 * The label arrays of every series, kept across cycles: a series has the same (frozen-in-practice,
 * never mutated) label array every cycle, so building a cycle's families allocates only the samples,
 * and consumers can cache per label array (the remote-write encoder caches each series' encoded
 * labels, the exposition renderer each label set's text). Groups, wchans and thread names that
 * disappear are dropped at the end of the cycle that no longer has them.
 */
export class SeriesLabelCache {
  readonly #groups = new Map<string, GroupLabels>();
  #cycle = 0;

  /** Number of groups held (for tests). */
  get size(): number {
    return this.#groups.size;
  }

  begin(): number {
    return ++this.#cycle;
  }

  group(g: string, cycle: number): GroupLabels {
    let labels = this.#groups.get(g);
    if (labels === undefined) {
      labels = groupLabels(g);
      this.#groups.set(g, labels);
    }
    labels.seen = cycle;
    return labels;
  }

  /** Forgets what the cycle did not use. */
  end(cycle: number): void {
    this.#groups.forEach((gl, name, groups) => {
      if (gl.seen !== cycle) {
        groups.delete(name);
        return;
      }
      gl.wchans.forEach((w, key, map) => {
        if (w.seen !== cycle) map.delete(key);
      });
      gl.threads.forEach((t, key, map) => {
        if (t.seen !== cycle) map.delete(key);
      });
    });
  }
}

function wchanLabels(gl: GroupLabels, g: string, wchan: string, cycle: number): Label[] {
  let w = gl.wchans.get(wchan);
  if (w === undefined) {
    w = { seen: cycle, labels: l('groupname', g, 'wchan', wchan) };
    gl.wchans.set(wchan, w);
  }
  w.seen = cycle;
  return w.labels;
}

function threadLabelsOf(gl: GroupLabels, g: string, n: string, cycle: number): ThreadLabels {
  let t = gl.threads.get(n);
  if (t === undefined) {
    t = threadLabels(g, n);
    gl.threads.set(n, t);
  }
  t.seen = cycle;
  return t;
}

const NO_LABELS: readonly Label[] = Object.freeze([]);

/**
 * Builds the `namedprocess_*` families for one cycle, with process-exporter's names, labels and values.
 * `groups` undefined means the cycle failed (procfs root unreadable): only the scrape counters are emitted.
 * With a `labelCache` (kept by the caller across cycles) every series reuses its label array.
 */
export function buildNamedProcessFamilies(
  groups: ReadonlyMap<string, GroupStats> | undefined,
  errors: ScrapeErrorCounts,
  opts: SeriesOptions,
  labelCache: SeriesLabelCache = new SeriesLabelCache(),
): MetricFamily[] {
  const lists: Record<FamilyKey, Sample[]> = {
    numProcs: [],
    cpuSeconds: [],
    readBytes: [],
    writeBytes: [],
    majorPageFaults: [],
    minorPageFaults: [],
    contextSwitches: [],
    memoryBytes: [],
    openFiledesc: [],
    worstFdRatio: [],
    oldestStartTime: [],
    numThreads: [],
    states: [],
    threadsWchan: [],
    threadCount: [],
    threadCpuSeconds: [],
    threadIoBytes: [],
    threadMajorPageFaults: [],
    threadMinorPageFaults: [],
    threadContextSwitches: [],
    scrapeErrors: [],
    scrapeProcReadErrors: [],
    scrapePartialErrors: [],
  };
  /** Family keys in the order their first sample was added (the order the families are returned in). */
  const order: FamilyKey[] = [];
  const add = (key: FamilyKey, labels: readonly Label[], value: number): void => {
    const list = lists[key];
    if (list.length === 0) order.push(key);
    list.push({ labels, value });
  };

  const cycle = labelCache.begin();
  groups?.forEach((s, g) => {
    const gl = labelCache.group(g, cycle);
    add('numProcs', gl.group, s.procs);
    add('memoryBytes', gl.memResident, s.memory.residentBytes);
    add('memoryBytes', gl.memVirtual, s.memory.virtualBytes);
    add('memoryBytes', gl.memSwapped, s.memory.vmSwapBytes);
    add('oldestStartTime', gl.group, s.oldestStartMs === undefined ? GO_ZERO_TIME_UNIX : Math.floor(s.oldestStartMs / 1000));
    add('openFiledesc', gl.group, s.openFds);
    add('worstFdRatio', gl.group, s.worstFdRatio);
    add('cpuSeconds', gl.cpuUser, s.counts.cpuUser);
    add('cpuSeconds', gl.cpuSystem, s.counts.cpuSystem);
    add('readBytes', gl.group, s.counts.readBytes);
    add('writeBytes', gl.group, s.counts.writeBytes);
    add('majorPageFaults', gl.group, s.counts.majorPageFaults);
    add('minorPageFaults', gl.group, s.counts.minorPageFaults);
    add('contextSwitches', gl.ctxVoluntary, s.counts.ctxSwitchVoluntary);
    add('contextSwitches', gl.ctxNonvoluntary, s.counts.ctxSwitchNonvoluntary);
    add('numThreads', gl.group, s.numThreads);
    add('states', gl.stateRunning, s.states.running);
    add('states', gl.stateSleeping, s.states.sleeping);
    add('states', gl.stateWaiting, s.states.waiting);
    add('states', gl.stateZombie, s.states.zombie);
    add('states', gl.stateOther, s.states.other);
    s.wchans.forEach((n, wchan) => {
      add('threadsWchan', wchanLabels(gl, g, wchan, cycle), n);
    });
    if (opts.gatherSmaps) {
      add('memoryBytes', gl.memProportionalResident, s.memory.proportionalBytes);
      add('memoryBytes', gl.memProportionalSwapped, s.memory.proportionalSwapBytes);
    }
    if (opts.threads) {
      for (const t of s.threads) {
        const tl = threadLabelsOf(gl, g, t.name, cycle);
        add('threadCount', tl.thread, t.numThreads);
        add('threadCpuSeconds', tl.cpuUser, t.counts.cpuUser);
        add('threadCpuSeconds', tl.cpuSystem, t.counts.cpuSystem);
        add('threadIoBytes', tl.ioRead, t.counts.readBytes);
        add('threadIoBytes', tl.ioWrite, t.counts.writeBytes);
        add('threadMajorPageFaults', tl.thread, t.counts.majorPageFaults);
        add('threadMinorPageFaults', tl.thread, t.counts.minorPageFaults);
        add('threadContextSwitches', tl.ctxVoluntary, t.counts.ctxSwitchVoluntary);
        add('threadContextSwitches', tl.ctxNonvoluntary, t.counts.ctxSwitchNonvoluntary);
      }
    }
  });
  labelCache.end(cycle);
  add('scrapeErrors', NO_LABELS, errors.scrapeErrors);
  add('scrapeProcReadErrors', NO_LABELS, errors.procReadErrors);
  add('scrapePartialErrors', NO_LABELS, errors.partialErrors);

  const families: MetricFamily[] = [];
  for (const key of order) families.push(familyOf(FAMILIES[key], lists[key]));
  return families;
}

/** The cycle time budget's self-metrics (only emitted when `cycle_time_budget` is set). */
export const BUDGET_FAMILIES = {
  exceeded: {
    name: 'procpush_cycle_budget_exceeded_total',
    help: 'Cycles that ran out of cycle_time_budget before reading every process (the rest was carried over or deferred)',
    type: 'counter',
    labels: [],
  },
  skipped: {
    name: 'procpush_cycle_budget_skipped_processes_total',
    help: 'Processes left unread because a cycle ran out of cycle_time_budget',
    type: 'counter',
    labels: [],
  },
} as const satisfies Record<string, FamilySpec>;

export function buildBudgetFamilies(counts: { readonly exceeded: number; readonly skippedProcesses: number }): MetricFamily[] {
  return [
    familyOf(BUDGET_FAMILIES.exceeded, [{ labels: NO_LABELS, value: counts.exceeded }]),
    familyOf(BUDGET_FAMILIES.skipped, [{ labels: NO_LABELS, value: counts.skippedProcesses }]),
  ];
}

/** A family of the catalogue with its samples. */
export function familyOf(spec: FamilySpec, samples: readonly Sample[]): MetricFamily {
  return { name: spec.name, help: spec.help, type: spec.type, samples };
}
