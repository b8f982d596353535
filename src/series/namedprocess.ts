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

interface FamilySpec {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
}

/** Names, HELP texts (sic) and types exactly as process-exporter's collector declares them. */
export const FAMILIES = {
  numProcs: { name: 'namedprocess_namegroup_num_procs', help: 'number of processes in this group', type: 'gauge' },
  cpuSeconds: { name: 'namedprocess_namegroup_cpu_seconds_total', help: 'Cpu user usage in seconds', type: 'counter' },
  readBytes: { name: 'namedprocess_namegroup_read_bytes_total', help: 'number of bytes read by this group', type: 'counter' },
  writeBytes: { name: 'namedprocess_namegroup_write_bytes_total', help: 'number of bytes written by this group', type: 'counter' },
  majorPageFaults: { name: 'namedprocess_namegroup_major_page_faults_total', help: 'Major page faults', type: 'counter' },
  minorPageFaults: { name: 'namedprocess_namegroup_minor_page_faults_total', help: 'Minor page faults', type: 'counter' },
  contextSwitches: { name: 'namedprocess_namegroup_context_switches_total', help: 'Context switches', type: 'counter' },
  memoryBytes: { name: 'namedprocess_namegroup_memory_bytes', help: 'number of bytes of memory in use', type: 'gauge' },
  openFiledesc: { name: 'namedprocess_namegroup_open_filedesc', help: 'number of open file descriptors for this group', type: 'gauge' },
  worstFdRatio: {
    name: 'namedprocess_namegroup_worst_fd_ratio',
    help: 'the worst (closest to 1) ratio between open fds and max fds among all procs in this group',
    type: 'gauge',
  },
  oldestStartTime: {
    name: 'namedprocess_namegroup_oldest_start_time_seconds',
    help: 'start time in seconds since 1970/01/01 of oldest process in group',
    type: 'gauge',
  },
  numThreads: { name: 'namedprocess_namegroup_num_threads', help: 'Number of threads', type: 'gauge' },
  states: {
    name: 'namedprocess_namegroup_states',
    help: 'Number of processes in states Running, Sleeping, Waiting, Zombie, or Other',
    type: 'gauge',
  },
  threadsWchan: { name: 'namedprocess_namegroup_threads_wchan', help: 'Number of threads in this group waiting on each wchan', type: 'gauge' },
  threadCount: { name: 'namedprocess_namegroup_thread_count', help: 'Number of threads in this group with same threadname', type: 'gauge' },
  threadCpuSeconds: { name: 'namedprocess_namegroup_thread_cpu_seconds_total', help: 'Cpu user/system usage in seconds', type: 'counter' },
  threadIoBytes: { name: 'namedprocess_namegroup_thread_io_bytes_total', help: 'number of bytes read/written by these threads', type: 'counter' },
  threadMajorPageFaults: {
    name: 'namedprocess_namegroup_thread_major_page_faults_total',
    help: 'Major page faults for these threads',
    type: 'counter',
  },
  threadMinorPageFaults: {
    name: 'namedprocess_namegroup_thread_minor_page_faults_total',
    help: 'Minor page faults for these threads',
    type: 'counter',
  },
  threadContextSwitches: {
    name: 'namedprocess_namegroup_thread_context_switches_total',
    help: 'Context switches for these threads',
    type: 'counter',
  },
  scrapeErrors: { name: 'namedprocess_scrape_errors', help: 'general scrape errors: no proc metrics collected during a cycle', type: 'counter' },
  scrapeProcReadErrors: {
    name: 'namedprocess_scrape_procread_errors',
    help: "incremented each time a proc's metrics collection fails",
    type: 'counter',
  },
  scrapePartialErrors: {
    name: 'namedprocess_scrape_partial_errors',
    help: "incremented each time a tracked proc's metrics collection fails partially, e.g. unreadable I/O stats",
    type: 'counter',
  },
} as const satisfies Record<string, FamilySpec>;

type FamilyKey = keyof typeof FAMILIES;

/** Labels must be passed sorted by name. */
function l(...pairs: string[]): Label[] {
  const out: Label[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) out.push({ name: pairs[i] ?? '', value: pairs[i + 1] ?? '' });
  return out;
}

/**
 * Builds the `namedprocess_*` families for one cycle, with process-exporter's names, labels and values.
 * `groups` undefined means the cycle failed (procfs root unreadable): only the scrape counters are emitted.
 */
export function buildNamedProcessFamilies(
  groups: ReadonlyMap<string, GroupStats> | undefined,
  errors: ScrapeErrorCounts,
  opts: SeriesOptions,
): MetricFamily[] {
  const samples = new Map<FamilyKey, Sample[]>();
  const add = (key: FamilyKey, labels: Label[], value: number): void => {
    let list = samples.get(key);
    if (list === undefined) {
      list = [];
      samples.set(key, list);
    }
    list.push({ labels, value });
  };

  for (const [g, s] of groups ?? []) {
    add('numProcs', l('groupname', g), s.procs);
    add('memoryBytes', l('groupname', g, 'memtype', 'resident'), s.memory.residentBytes);
    add('memoryBytes', l('groupname', g, 'memtype', 'virtual'), s.memory.virtualBytes);
    add('memoryBytes', l('groupname', g, 'memtype', 'swapped'), s.memory.vmSwapBytes);
    add('oldestStartTime', l('groupname', g), s.oldestStartMs === undefined ? GO_ZERO_TIME_UNIX : Math.floor(s.oldestStartMs / 1000));
    add('openFiledesc', l('groupname', g), s.openFds);
    add('worstFdRatio', l('groupname', g), s.worstFdRatio);
    add('cpuSeconds', l('groupname', g, 'mode', 'user'), s.counts.cpuUser);
    add('cpuSeconds', l('groupname', g, 'mode', 'system'), s.counts.cpuSystem);
    add('readBytes', l('groupname', g), s.counts.readBytes);
    add('writeBytes', l('groupname', g), s.counts.writeBytes);
    add('majorPageFaults', l('groupname', g), s.counts.majorPageFaults);
    add('minorPageFaults', l('groupname', g), s.counts.minorPageFaults);
    add('contextSwitches', l('ctxswitchtype', 'voluntary', 'groupname', g), s.counts.ctxSwitchVoluntary);
    add('contextSwitches', l('ctxswitchtype', 'nonvoluntary', 'groupname', g), s.counts.ctxSwitchNonvoluntary);
    add('numThreads', l('groupname', g), s.numThreads);
    add('states', l('groupname', g, 'state', 'Running'), s.states.running);
    add('states', l('groupname', g, 'state', 'Sleeping'), s.states.sleeping);
    add('states', l('groupname', g, 'state', 'Waiting'), s.states.waiting);
    add('states', l('groupname', g, 'state', 'Zombie'), s.states.zombie);
    add('states', l('groupname', g, 'state', 'Other'), s.states.other);
    for (const [wchan, n] of s.wchans) add('threadsWchan', l('groupname', g, 'wchan', wchan), n);
    if (opts.gatherSmaps) {
      add('memoryBytes', l('groupname', g, 'memtype', 'proportionalResident'), s.memory.proportionalBytes);
      add('memoryBytes', l('groupname', g, 'memtype', 'proportionalSwapped'), s.memory.proportionalSwapBytes);
    }
    if (opts.threads) {
      for (const t of s.threads) {
        const n = t.name;
        add('threadCount', l('groupname', g, 'threadname', n), t.numThreads);
        add('threadCpuSeconds', l('groupname', g, 'mode', 'user', 'threadname', n), t.counts.cpuUser);
        add('threadCpuSeconds', l('groupname', g, 'mode', 'system', 'threadname', n), t.counts.cpuSystem);
        add('threadIoBytes', l('groupname', g, 'iomode', 'read', 'threadname', n), t.counts.readBytes);
        add('threadIoBytes', l('groupname', g, 'iomode', 'write', 'threadname', n), t.counts.writeBytes);
        add('threadMajorPageFaults', l('groupname', g, 'threadname', n), t.counts.majorPageFaults);
        add('threadMinorPageFaults', l('groupname', g, 'threadname', n), t.counts.minorPageFaults);
        add('threadContextSwitches', l('ctxswitchtype', 'voluntary', 'groupname', g, 'threadname', n), t.counts.ctxSwitchVoluntary);
        add('threadContextSwitches', l('ctxswitchtype', 'nonvoluntary', 'groupname', g, 'threadname', n), t.counts.ctxSwitchNonvoluntary);
      }
    }
  }
  add('scrapeErrors', [], errors.scrapeErrors);
  add('scrapeProcReadErrors', [], errors.procReadErrors);
  add('scrapePartialErrors', [], errors.partialErrors);

  const families: MetricFamily[] = [];
  for (const [key, list] of samples) {
    const spec = FAMILIES[key];
    families.push({ name: spec.name, help: spec.help, type: spec.type, samples: list });
  }
  return families;
}
