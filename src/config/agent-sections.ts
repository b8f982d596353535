/**
 * The push-agent sections of the config file: `schedule`, `labels`, `sinks`, `listen`, `state_file`,
 * `state_checkpoint` and `shutdown`, read from the located document with config/schema.ts.
 */
import { parseDurationMs } from '../base/units.js';
import { staticLabelNameProblem } from '../agent/labels.js';
import type { ScheduleSpec } from '../agent/schedule.js';
import type { SinkConfig } from '../push/sink-config.js';
import { sinksSchema } from './sinks.js';
import { convert, EMPTY_MAP, leaf, object, optional, record, string, withDefault, withDefaultInput, type Schema } from './schema.js';
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
  /** How often the state is written (it is also written at shutdown and reload); 0 = every cycle. */
  readonly stateCheckpointMs: number;
  readonly shutdown: {
    readonly timeoutMs: number;
    /** auto: end the series (stale markers, Pushgateway DELETE) only when no state is saved to continue them. */
    readonly staleMarkers: StaleMarkerPolicy;
    /** `stale_markers` was given as a boolean (deprecated spelling of always / never). */
    readonly staleMarkersBoolean: boolean;
  };
}

export type StaleMarkerPolicy = 'auto' | 'always' | 'never';

/** The keys of these sections at the top level of the file. */
export const AGENT_KEYS = ['schedule', 'labels', 'sinks', 'listen', 'state_file', 'state_checkpoint', 'shutdown'] as const;

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

/** auto, always or never; the booleans are the deprecated spellings of always and never. */
const staleMarkersSchema: Schema<StaleMarkerPolicy | boolean> = leaf('auto, always or never', (node, path, r) => {
  if (node.kind === 'scalar' && (node.value === 'auto' || node.value === 'always' || node.value === 'never' || typeof node.value === 'boolean')) return node.value;
  return r.report(path, 'expected auto, always or never');
});

const durationCheck = (what: string) => (s: string): string | undefined => (parseDurationMs(s).ok ? undefined : `expected a duration such as ${what}`);

const shutdownSchema = object({
  timeout: withDefault(string({ check: durationCheck('10s') }), '10s'),
  stale_markers: withDefault(staleMarkersSchema, 'auto'),
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
        state_checkpoint: withDefault(string({ check: durationCheck('60s (0s: every cycle)') }), '60s'),
        shutdown: withDefaultInput(shutdownSchema, EMPTY_MAP),
      },
      { unknownKeys: 'ignore' },
    ),
    (s) => {
      const marks = s.shutdown.stale_markers;
      return ok({
        schedule: s.schedule,
        labels: s.labels,
        sinks: s.sinks,
        listen: s.listen,
        stateFile: s.state_file,
        stateCheckpointMs: durationOr(s.state_checkpoint, 60_000),
        shutdown: {
          timeoutMs: durationOr(s.shutdown.timeout, 10_000),
          staleMarkers: marks === true ? 'always' : marks === false ? 'never' : marks,
          staleMarkersBoolean: typeof marks === 'boolean',
        },
      });
    },
  );
}
