/**
 * The push-agent sections of the config file: `schedule`, `labels`, `sinks`, `listen`, `state_file`
 * and `shutdown`, read from the located document with config/schema.ts.
 */
import { parseDurationMs } from '../base/units.js';
import { staticLabelNameProblem } from '../agent/labels.js';
import type { ScheduleSpec } from '../agent/schedule.js';
import type { SinkConfig } from '../push/sink-config.js';
import { sinksSchema } from './sinks.js';
import { boolean, convert, EMPTY_MAP, object, optional, record, string, withDefault, withDefaultInput, type Schema } from './schema.js';
import { ok } from '../base/result.js';

/** The push-agent sections of the config file. */
export interface AgentSections {
  readonly schedule: ScheduleSpec;
  /** Static labels as written (before `${ENV}` expansion and defaults). */
  readonly labels: Readonly<Record<string, string>>;
  readonly sinks: readonly SinkConfig[];
  /** host:port of the optional /metrics + /healthz listener; undefined = none. */
  readonly listen: string | undefined;
  /** Tracker state file; undefined = the default under the state directory; '' = none. */
  readonly stateFile: string | undefined;
  readonly shutdown: { readonly timeoutMs: number; readonly staleMarkers: boolean };
}

/** The keys of these sections at the top level of the file. */
export const AGENT_KEYS = ['schedule', 'labels', 'sinks', 'listen', 'state_file', 'shutdown'] as const;

/** What the sections need from the world: the cron validator (node-cron's), when a cron schedule is given. */
export interface AgentSectionDeps {
  /** A problem with a cron expression, or undefined when it is valid. */
  readonly validateCron: (expression: string) => string | undefined;
}

function scheduleSchema(deps: AgentSectionDeps): Schema<ScheduleSpec> {
  return convert(
    object(
      { interval: optional(string()), cron: optional(string()) },
      {
        check: (s, report) => {
          if ((s.interval === undefined) === (s.cron === undefined)) {
            report([], 'set exactly one of interval and cron');
            return;
          }
          if (s.interval !== undefined) {
            const ms = parseDurationMs(s.interval);
            if (!ms.ok || ms.value < 1000) report(['interval'], 'expected a duration of at least 1s, such as 15s or 1m');
          }
          if (s.cron !== undefined) {
            const problem = deps.validateCron(s.cron);
            if (problem !== undefined) report(['cron'], `invalid cron expression: ${problem}`);
          }
        },
      },
    ),
    (s): ReturnType<typeof ok<ScheduleSpec>> =>
      ok(s.cron === undefined ? { kind: 'interval', intervalMs: durationOr(s.interval ?? '15s', 15_000) } : { kind: 'cron', expression: s.cron }),
  );
}

/** A duration the schema has checked already. */
function durationOr(text: string, fallback: number): number {
  const r = parseDurationMs(text);
  return r.ok ? r.value : fallback;
}

const shutdownSchema = object({
  timeout: withDefault(
    string({ check: (s) => (parseDurationMs(s).ok ? undefined : 'expected a duration such as 10s') }),
    '10s',
  ),
  stale_markers: withDefault(boolean, true),
});

/** The agent sections of a top-level mapping (the other keys are left to their owners). */
export function agentSectionsSchema(deps: AgentSectionDeps): Schema<AgentSections> {
  return convert(
    object(
      {
        schedule: withDefault(scheduleSchema(deps), { kind: 'interval', intervalMs: 15_000 }),
        labels: withDefault(record(string(), staticLabelNameProblem), {}),
        sinks: withDefault(sinksSchema, []),
        listen: optional(string({ min: 1 })),
        state_file: optional(string()),
        shutdown: withDefaultInput(shutdownSchema, EMPTY_MAP),
      },
      { unknownKeys: 'ignore' },
    ),
    (s) =>
      ok({
        schedule: s.schedule,
        labels: s.labels,
        sinks: s.sinks,
        listen: s.listen,
        stateFile: s.state_file,
        shutdown: { timeoutMs: durationOr(s.shutdown.timeout, 10_000), staleMarkers: s.shutdown.stale_markers },
      }),
  );
}
