import type { Server } from 'node:http';
import type { Agent } from '../agent/agent.js';
import { Scheduler } from '../agent/schedule.js';
import type { ScheduleSpec } from '../agent/schedule.js';
import type { Sink } from '../push/types.js';
import { redactUrl } from '../push/redact.js';
import { describeError, type Result } from '../base/result.js';
import { saveState } from '../collector/state-file.js';
import { createCollector, openSource } from '../collector/open.js';
import { VERSION } from '../base/version.js';
import { collectStartupGarbage } from '../base/memory.js';
import type { Config } from '../config/load.js';
import { formatConfigIssue, type ConfigIssue } from '../config/issues.js';
import { sendBudgetMs, setUpAgent, type AgentSetup } from './agent-setup.js';
import type { CommandEnv } from './env.js';
import { closeServer } from './listener.js';

/** Where the tracker state lives: the configured file, '' for none, else under the state directory. */
export function resolveStatePath(configured: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (configured !== undefined) return configured === '' ? undefined : configured;
  // systemd's StateDirectory= exports STATE_DIRECTORY (several paths are separated by ':').
  const dir = env['STATE_DIRECTORY']?.split(':')[0] ?? '/var/lib/procpush';
  return `${dir.replace(/\/+$/, '')}/state.json`;
}

export interface DaemonParts {
  readonly config: Config;
  readonly setup: AgentSetup;
  readonly agent: Agent;
  readonly statePath: string | undefined;
  readonly startListener: (address: string, healthyWithinMs: number) => Promise<Server>;
  /** Loads the config again (SIGHUP): the same flags, the file as it is now. */
  readonly reloadConfig: () => Promise<Result<Config, readonly ConfigIssue[]>>;
}

function describeSchedule(s: ScheduleSpec): string {
  return s.kind === 'interval' ? `every ${s.intervalMs / 1000}s` : `cron ${s.expression}`;
}

function healthWindowMs(s: ScheduleSpec): number {
  return 3 * (s.kind === 'interval' ? s.intervalMs : 3_600_000);
}

/**
 * The running daemon: schedule, state file, listener, reload (SIGHUP) and graceful stop
 * (SIGTERM/SIGINT). One object so a reload can swap pieces between two cycles.
 */
export class Daemon {
  #config: Config;
  #setup: AgentSetup;
  readonly #agent: Agent;
  readonly #statePath: string | undefined;
  readonly #env: CommandEnv;
  readonly #parts: DaemonParts;
  #scheduler: Scheduler;
  #listener: Server | undefined;
  #sinkKeys: Map<string, Sink>;
  #stateWarned = false;
  /** A full collection is due after the next cycle (the first one, or the first after a reload). */
  #settlePending = true;

  constructor(parts: DaemonParts, env: CommandEnv) {
    this.#parts = parts;
    this.#config = parts.config;
    this.#setup = parts.setup;
    this.#agent = parts.agent;
    this.#statePath = parts.statePath;
    this.#env = env;
    this.#sinkKeys = sinkKeys(parts.config, parts.setup);
    this.#scheduler = this.#newScheduler(parts.config.agent.schedule);
  }

  #newScheduler(spec: ScheduleSpec): Scheduler {
    return new Scheduler(spec, () => this.#cycle(), {
      onSkip: (at) => {
        this.#agent.skipped(at);
      },
    });
  }

  async #cycle(): Promise<void> {
    await this.#agent.cycle();
    this.#saveState();
    if (this.#settlePending) {
      // After the first cycle of a start or a reload: see base/memory.ts.
      this.#settlePending = false;
      collectStartupGarbage();
    }
  }

  #saveState(): void {
    if (this.#statePath === undefined) return;
    try {
      saveState(this.#statePath, this.#agent.collector.snapshot(), this.#env.nowMs(), this.#config.fingerprint);
      this.#stateWarned = false;
    } catch (e) {
      if (!this.#stateWarned) this.#env.logger.warn({ path: this.#statePath, err: describeError(e) }, 'cannot write the state file; counters will restart at 0 after a restart');
      this.#stateWarned = true;
    }
  }

  async start(): Promise<void> {
    const listen = this.#config.agent.listen;
    if (listen !== undefined) this.#listener = await this.#parts.startListener(listen, healthWindowMs(this.#config.agent.schedule));
    this.#logStarted('procpush started');
    this.#scheduler.start();
  }

  #logStarted(msg: string): void {
    const { config, setup } = { config: this.#config, setup: this.#setup };
    this.#env.logger.info(
      {
        version: VERSION,
        config: config.file,
        procfs: config.collection.procfs,
        rules: config.namer.rules.length,
        schedule: describeSchedule(config.agent.schedule),
        labels: Object.fromEntries(setup.labels.map((l) => [l.name, l.value])),
        sinks: this.#agentSinks().map((s) => ({ name: s.name, type: s.type, url: redactUrl(s.target) })),
        listen: config.agent.listen,
        stateFile: this.#statePath,
      },
      msg,
    );
  }

  #agentSinks(): Sink[] {
    return [...this.#sinkKeys.values()];
  }

  /**
   * SIGHUP: read the config again. A valid one takes effect from the next cycle; an invalid one is
   * logged and the running config stays. A change of process_names or collection options starts a new
   * tracker (its counters restart, which Prometheus' rate() handles as a reset); otherwise counters continue.
   */
  async reload(): Promise<boolean> {
    const next = await this.#next();
    if (next === undefined) return false;
    const engineChanged = next.config.fingerprint !== this.#config.fingerprint;
    let collector = this.#agent.collector;
    if (engineChanged) {
      const source = openSource(next.config.collection);
      if (!source.ok) {
        this.#env.logger.error({ err: source.error }, 'reload failed: the new procfs root cannot be read; keeping the running config');
        for (const s of next.setup.sinks) void s.close({ staleMarkers: false, deleteGroup: false });
        return false;
      }
      collector = createCollector(next.config.collection, next.config.namer, source.value);
      collector.prime(this.#env.nowMs());
    }

    // A sink whose config did not change keeps running (its queue and stale-marker memory survive).
    const newKeys = new Map<string, Sink>();
    const unused: Sink[] = [];
    next.config.agent.sinks.forEach((config, i) => {
      const built = next.setup.sinks[i];
      if (built === undefined) return;
      const key = JSON.stringify(config);
      const running = this.#sinkKeys.get(key);
      if (running === undefined) {
        newKeys.set(key, built);
      } else {
        newKeys.set(key, running);
        unused.push(built);
      }
    });
    const kept = new Set(newKeys.values());
    const removed = [...this.#sinkKeys.values()].filter((s) => !kept.has(s));
    for (const s of unused) void s.close({ staleMarkers: false, deleteGroup: false });

    const schedule = next.config.agent.schedule;
    this.#agent.reconfigure({ collector, sinks: [...newKeys.values()], staticLabels: next.setup.labels, sendBudgetMs: sendBudgetMs(next.config) });
    const { timeoutMs, staleMarkers } = next.config.agent.shutdown;
    for (const s of removed) void s.close({ deadlineMs: this.#env.nowMs() + timeoutMs, staleMarkers });
    if (describeSchedule(schedule) !== describeSchedule(this.#config.agent.schedule)) {
      await this.#scheduler.stop();
      this.#scheduler = this.#newScheduler(schedule);
      this.#scheduler.start();
    }
    if (next.config.agent.listen !== this.#config.agent.listen) {
      closeServer(this.#listener);
      this.#listener = undefined;
      const listen = next.config.agent.listen;
      try {
        if (listen !== undefined) this.#listener = await this.#parts.startListener(listen, healthWindowMs(schedule));
      } catch (e) {
        this.#env.logger.error({ err: describeError(e), listen }, 'reload: cannot start the new listener');
      }
    }
    this.#config = next.config;
    this.#setup = next.setup;
    this.#sinkKeys = newKeys;
    this.#logStarted(engineChanged ? 'config reloaded: new rules, tracker restarted' : 'config reloaded');
    // The old config's parse and any old tracker are garbage now.
    this.#settlePending = true;
    return true;
  }

  /** Graceful stop: the cycle in flight ends, pushes flush until the deadline, stale markers, state saved. */
  async stop(): Promise<boolean> {
    const { timeoutMs, staleMarkers } = this.#config.agent.shutdown;
    const deadline = this.#env.nowMs() + timeoutMs;
    await this.#scheduler.stop();
    const clean = await this.#agent.shutdown(deadline, staleMarkers);
    this.#saveState();
    closeServer(this.#listener);
    return clean;
  }

  /** The reloaded config and its agent setup; undefined (logged) when either is invalid. */
  async #next(): Promise<{ config: Config; setup: AgentSetup } | undefined> {
    let problem: string;
    try {
      const loaded = await this.#parts.reloadConfig();
      if (loaded.ok) {
        for (const w of loaded.value.warnings) this.#env.logger.warn({ warning: formatConfigIssue(w) }, 'config warning');
        return { config: loaded.value, setup: setUpAgent(loaded.value, this.#env) };
      }
      problem = loaded.error.map(formatConfigIssue).join('\n');
    } catch (e) {
      problem = describeError(e);
    }
    this.#env.logger.error({ err: problem }, 'reload failed: the new config is invalid; keeping the running one');
    return undefined;
  }
}

/** The running sinks by their config (a reload keeps a sink whose config did not change). */
function sinkKeys(config: Config, setup: AgentSetup): Map<string, Sink> {
  const keys = new Map<string, Sink>();
  config.agent.sinks.forEach((c, i) => {
    const sink = setup.sinks[i];
    if (sink !== undefined) keys.set(JSON.stringify(c), sink);
  });
  return keys;
}
