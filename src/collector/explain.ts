import type { MatchNamer } from '../naming/matcher.js';
import type { ProcSource } from '../procfs/types.js';
import { createUsernameLookup } from '../procfs/users.js';
import { err, ok, type Result } from '../base/result.js';
import { createCollector, type CollectionOptions } from './open.js';

/**
 * `procpush explain`: every live process of `source`, the rule that matched it (or why none did) and
 * its group after a startup cycle and one reported cycle, with the number of series per cycle.
 */
export function explainProcesses(options: CollectionOptions, namer: MatchNamer, source: ProcSource, nowMs: () => number): Result<string, string> {
  const collector = createCollector(options, namer, source);
  collector.prime(nowMs());
  const report = collector.cycle(nowMs());
  if (report.error !== undefined) return err(`error reading procs: ${report.error}`);
  const groupByPid = new Map(report.tracked.map((p) => [p.pid, p.group]));
  const lookup = createUsernameLookup();
  const listing = source.listPids();
  const rows: string[][] = [['PID', 'COMM', 'GROUP', 'WHY']];
  for (const pid of [...(listing.ok ? listing.pids : [])].sort((x, y) => x - y)) {
    const stat = source.readStat(pid);
    if (stat === undefined) continue;
    const info = source.readStatic(pid, stat);
    if (info === undefined) continue;
    const attrs = { comm: info.comm, cmdline: info.cmdline, cgroups: info.cgroups, username: lookup(info.euid), pid, startTimeMs: info.startTimeMs };
    const group = groupByPid.get(pid);
    const match = namer.matchAndName(attrs);
    let why: string;
    if (match.matched) why = `rule ${match.rule + 1}`;
    else if (group !== undefined) why = `child of a process in the group (ppid ${info.ppid})`;
    else why = namer.explain(attrs);
    rows.push([String(pid), info.comm, group ?? '-', why]);
  }
  let samples = 0;
  for (const f of report.families) samples += f.samples.length;
  const widths = [0, 0, 0];
  for (const r of rows) for (let i = 0; i < 3; i++) widths[i] = Math.max(widths[i] ?? 0, (r[i] ?? '').length);
  const text = rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ')).join('\n');
  return ok(`${text}\n\n${report.groups?.size ?? 0} group(s), ${report.procs} tracked process(es), ${samples} series per cycle\n`);
}
