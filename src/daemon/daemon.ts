import type { Server } from 'node:http';
import type { Agent } from '../agent/agent.js';
import { Scheduler } from '../agent/schedule.js';
import type { ScheduleSpec } from '../agent/schedule.js';
import type { Sink } from '../push/types.js';
import { redactUrl } from '../push/redact.js';
import { describeError } from '../base/result.js';
import { saveState } from '../collector/state-file.js';
import { VERSION } from '../base/version.js';
import type { CommandEnv } from './serve.js';
import { createCollector, openSource } from './serve.js';
import type { EngineSettings } from '../config/engine.js';
import { engineFingerprint } from '../config/engine.js';
import type { AgentSetup } from './run.js';
import { collectStartupGarbage } from '../base/settle-heap.js';

/** Where the tracker state lives: the configured file, '' for none, else under the state directory. */
export function resolveStatePath(configured: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (configured !== undefined) return configured === '' ? undefined : configured;
  // systemd's StateDirectory= exports STATE_DIRECTORY (several paths are separated by ':').
  const dir = env['STATE_DIRECTORY']?.split(':')[0] ?? '/var/lib/procpush';
  return `${dir.replace(/\/+$/, '')}/state.json`;
}

export interface DaemonParts {
  readonly engine: EngineSettings;
  readonly setup: AgentSetup;
  readonly agent: Agent;
  readonly statePath: string | undefined;
  readonly startListener: (address: string, healthyWithinMs: number) => Promise<Server>;
  readonly rebuild: () => { engine: EngineSettings; setup: AgentSetup };
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
  #engine: EngineSettings;
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

  constructor(parts: DaemonParts, sinkKeys: Map<string, Sink>, env: CommandEnv) {
    this.#parts = parts;
    this.#engine = parts.engine;
    this.#setup = parts.setup;
    this.#agent = parts.agent;
    this.#statePath = parts.statePath;
    this.#env = env;
    this.#sinkKeys = sinkKeys;
    this.#scheduler = this.#newScheduler(parts.setup.sections.schedule);
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
      // After the first cycle of a start or a reload: see runtime/settle-heap.ts.
      this.#settlePending = false;
      collectStartupGarbage();
    }
  }

  #saveState(): void {
    if (this.#statePath === undefined) return;
    try {
      saveState(this.#statePath, this.#agent.collector.snapshot(), this.#env.nowMs(), engineFingerprint(this.#engine));
      this.#stateWarned = false;
    } catch (e) {
      if (!this.#stateWarned) this.#env.logger.warn({ path: this.#statePath, err: describeError(e) }, 'cannot write the state file; counters will restart at 0 after a restart');
      this.#stateWarned = true;
    }
  }

  async start(): Promise<void> {
    const listen = this.#setup.sections.listen;
    if (listen !== undefined) this.#listener = await this.#parts.startListener(listen, healthWindowMs(this.#setup.sections.schedule));
    this.#logStarted('procpush started');
    this.#scheduler.start();
  }

  #logStarted(msg: string): void {
    const { engine, setup } = { engine: this.#engine, setup: this.#setup };
    this.#env.logger.info(
      {
        version: VERSION,
        config: engine.config?.file,
        procfs: engine.procfs,
        rules: engine.namer.rules.length,
        schedule: describeSchedule(setup.sections.schedule),
        labels: Object.fromEntries(setup.labels.map((l) => [l.name, l.value])),
        sinks: this.#agentSinks().map((s) => ({ name: s.name, type: s.type, url: redactUrl(s.target) })),
        listen: setup.sections.listen,
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
    let next: { engine: EngineSettings; setup: AgentSetup };
    try {
      next = this.#parts.rebuild();
    } catch (e) {
      this.#env.logger.error({ err: describeError(e) }, 'reload failed: the new config is invalid; keeping the running one');
      return false;
    }
    const engineChanged = engineFingerprint(next.engine) !== engineFingerprint(this.#engine);
    const collector = engineChanged ? createCollector(next.engine, openSource(next.engine)) : this.#agent.collector;
    if (engineChanged) collector.prime(this.#env.nowMs());

    // A sink whose config did not change keeps running (its queue and stale-marker memory survive).
    const newKeys = new Map<string, Sink>();
    const unused: Sink[] = [];
    next.setup.sections.sinks.forEach((config, i) => {
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

    const schedule = next.setup.sections.schedule;
    const budget = schedule.kind === 'interval' ? Math.floor(schedule.intervalMs * 0.9) : undefined;
    this.#agent.reconfigure({ collector, sinks: [...newKeys.values()], staticLabels: next.setup.labels, sendBudgetMs: budget });
    for (const s of removed) {
      void s.close({ deadlineMs: this.#env.nowMs() + next.setup.sections.shutdown.timeoutMs, staleMarkers: next.setup.sections.shutdown.staleMarkers });
    }
    if (describeSchedule(schedule) !== describeSchedule(this.#setup.sections.schedule)) {
      await this.#scheduler.stop();
      this.#scheduler = this.#newScheduler(schedule);
      this.#scheduler.start();
    }
    if (next.setup.sections.listen !== this.#setup.sections.listen) {
      this.#listener?.close();
      this.#listener?.closeAllConnections();
      this.#listener = undefined;
      const listen = next.setup.sections.listen;
      try {
        if (listen !== undefined) this.#listener = await this.#parts.startListener(listen, healthWindowMs(schedule));
      } catch (e) {
        this.#env.logger.error({ err: describeError(e), listen }, 'reload: cannot start the new listener');
      }
    }
    this.#engine = next.engine;
    this.#setup = next.setup;
    this.#sinkKeys = newKeys;
    this.#logStarted(engineChanged ? 'config reloaded: new rules, tracker restarted' : 'config reloaded');
    // The old config's parse and any old tracker are garbage now.
    this.#settlePending = true;
    return true;
  }

  /** Graceful stop: the cycle in flight ends, pushes flush until the deadline, stale markers, state saved. */
  async stop(): Promise<boolean> {
    const { timeoutMs, staleMarkers } = this.#setup.sections.shutdown;
    const deadline = this.#env.nowMs() + timeoutMs;
    await this.#scheduler.stop();
    const clean = await this.#agent.shutdown(deadline, staleMarkers);
    this.#saveState();
    this.#listener?.close();
    this.#listener?.closeAllConnections();
    return clean;
  }
}
