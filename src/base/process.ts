/** The small types the stages share about a process being named. */

/** What the namer sees of a new process (process-exporter's ProcAttributes). */
export interface ProcAttributes {
  readonly comm: string;
  /** argv; empty for kernel threads and zombies. */
  readonly cmdline: readonly string[];
  readonly cgroups: readonly string[];
  readonly username: string;
  readonly pid: number;
  readonly startTimeMs: number;
}

/** Decides whether a new process is tracked and under which group name (the tracker calls it). */
export interface Namer {
  matchAndName(attrs: ProcAttributes): { readonly matched: true; readonly name: string } | { readonly matched: false };
}

/** Counters shared by processes, threads and groups. CPU in seconds, the rest in their units. */
export interface Counts {
  cpuUser: number;
  cpuSystem: number;
  readBytes: number;
  writeBytes: number;
  majorPageFaults: number;
  minorPageFaults: number;
  ctxSwitchVoluntary: number;
  ctxSwitchNonvoluntary: number;
}

export interface States {
  running: number;
  sleeping: number;
  waiting: number;
  zombie: number;
  other: number;
}

export interface Memory {
  residentBytes: number;
  virtualBytes: number;
  vmSwapBytes: number;
  proportionalBytes: number;
  proportionalSwapBytes: number;
}
