import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { parseDurationMs } from '../base/units.js';
import { zodIssues } from './agent-config.js';
import type { ConfigIssue } from './process-names.js';
import { sinksConfigSchema } from '../push/sink-config.js';
import type { SinkConfig } from '../push/sink-config.js';
import type { Result } from '../base/result.js';
import { err, ok } from '../base/result.js';
import type { ScheduleSpec } from '../agent/schedule.js';
import { validateCron } from '../agent/schedule.js';

/** The push-agent sections of the config file (`schedule`, `labels`, `sinks`, `listen`). */
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

const scheduleSchema = z
  .object({ interval: z.string().optional(), cron: z.string().optional() })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.interval === undefined) === (s.cron === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of interval and cron' });
      return;
    }
    if (s.interval !== undefined) {
      const ms = parseDurationMs(s.interval);
      if (!ms.ok || ms.value < 1000) ctx.addIssue({ code: 'custom', message: 'expected a duration of at least 1s, such as 15s or 1m', path: ['interval'] });
    }
    if (s.cron !== undefined) {
      const problem = validateCron(s.cron);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${problem}`, path: ['cron'] });
    }
  });

const sectionsSchema = z
  .object({
    schedule: scheduleSchema.default({ interval: '15s' }),
    labels: z.record(z.string(), z.string()).default({}),
    sinks: sinksConfigSchema.default([]),
    listen: z.string().min(1).optional(),
    state_file: z.string().optional(),
    state_checkpoint: z.string().refine((s) => parseDurationMs(s).ok, { message: 'expected a duration such as 60s (0s: every cycle)' }).default('60s'),
    shutdown: z
      .object({
        timeout: z.string().refine((s) => parseDurationMs(s).ok, { message: 'expected a duration such as 10s' }).default('10s'),
        stale_markers: z
          .union([z.enum(['auto', 'always', 'never']), z.boolean()], { message: 'expected auto, always or never' })
          .default('auto'),
      })
      .strict()
      .default({ timeout: '10s', stale_markers: 'auto' }),
  })
  .strip();

function intervalMs(text: string): number {
  const r = parseDurationMs(text);
  return r.ok ? r.value : 15_000; // unreachable: the schema refused it already
}

/** Validates the agent sections of an already loaded config text; issues carry file:line:field. */
export function parseAgentSections(text: string, file: string): Result<AgentSections, ConfigIssue[]> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const data: unknown = doc.toJS() ?? {};
  const parsed = sectionsSchema.safeParse(data);
  if (!parsed.success) return err(zodIssues(parsed.error, doc, lineCounter, file, []));
  const s = parsed.data;
  const schedule: ScheduleSpec =
    s.schedule.cron === undefined ? { kind: 'interval', intervalMs: intervalMs(s.schedule.interval ?? '15s') } : { kind: 'cron', expression: s.schedule.cron };
  const timeout = parseDurationMs(s.shutdown.timeout);
  const checkpoint = parseDurationMs(s.state_checkpoint);
  const marks = s.shutdown.stale_markers;
  return ok({
    schedule,
    labels: s.labels,
    sinks: s.sinks,
    listen: s.listen,
    stateFile: s.state_file,
    stateCheckpointMs: checkpoint.ok ? checkpoint.value : 60_000,
    shutdown: {
      timeoutMs: timeout.ok ? timeout.value : 10_000,
      staleMarkers: marks === true ? 'always' : marks === false ? 'never' : marks,
      staleMarkersBoolean: typeof marks === 'boolean',
    },
  });
}
