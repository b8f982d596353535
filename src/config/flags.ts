/**
 * The command-line flags that set collection options, with process-exporter's spellings. The CLI
 * declares them (cli/main.ts parses them with Go's flag rules); load.ts merges their values with the
 * config file's keys, flags first.
 */

/** A flag as the CLI's parser (cli/flags.ts) declares it. */
export interface FlagDef {
  readonly name: string;
  readonly kind: 'bool' | 'string' | 'duration';
  /** Shown in --help; the value used when the flag is absent is decided by load.ts. */
  readonly help: string;
  readonly defaultText?: string;
}

/** The flags given on a command line, by name: booleans as booleans, durations in ms, the rest as strings. */
export type FlagValues = ReadonlyMap<string, string | boolean | number>;

export const COLLECTION_FLAGS: readonly FlagDef[] = [
  { name: 'config.path', kind: 'string', help: 'path to the YAML config file (process_names and procpush options)' },
  { name: 'procnames', kind: 'string', help: 'comma-separated list of process names (comm) to monitor, instead of a config file' },
  { name: 'namemapping', kind: 'string', help: 'comma-separated name,regex pairs: processes with comm NAME are grouped as NAME:<first capture of REGEX on the cmdline>' },
  { name: 'procfs', kind: 'string', help: 'path to the procfs root (a DaemonSet mounts the host\'s at /host/proc)', defaultText: '/proc' },
  { name: 'children', kind: 'bool', help: 'unmatched processes join the group of their nearest tracked ancestor', defaultText: 'true' },
  { name: 'threads', kind: 'bool', help: 'report per-thread-name metrics', defaultText: 'true' },
  { name: 'gather-smaps', kind: 'bool', help: 'read smaps_rollup for proportional memory (PSS); costly for huge processes', defaultText: 'true' },
  { name: 'recheck', kind: 'bool', help: 're-offer unmatched processes to the matchers every cycle', defaultText: 'false' },
  { name: 'recheck-with-time-limit', kind: 'duration', help: 'like --recheck, but only while a process is younger than this; 0 = off', defaultText: '0' },
  { name: 'remove-empty-groups', kind: 'bool', help: 'forget a group (and its counters) once it has no process', defaultText: 'false' },
];

export function flagString(f: FlagValues, name: string): string | undefined {
  const v = f.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flagBool(f: FlagValues, name: string): boolean | undefined {
  const v = f.get(name);
  return typeof v === 'boolean' ? v : undefined;
}

export function flagNumber(f: FlagValues, name: string): number | undefined {
  const v = f.get(name);
  return typeof v === 'number' ? v : undefined;
}
