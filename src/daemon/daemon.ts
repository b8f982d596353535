import type { Server } from 'node:http';
import type { Agent } from '../agent/agent.js';
import { Scheduler } from '../agent/schedule.js';
import type { ScheduleSpec } from '../agent/schedule.js';
import type { Sink } from '../push/types.js';
import { redactUrl } from '../push/redact.js';
import { describeError } from '../base/result.js';
import { VERSION } from '../base/version.js';
import type { CommandEnv, StartedCollector } from './serve.js';
import { createCollector, openSource } from './serve.js';
import { sinkMemories } from './state-session.js';
import type { EngineSettings } from '../config/engine.js';
import { engineFingerprint } from '../config/engine.js';
import type { AgentSetup } from './run.js';
import { collectStartupGarbage } from '../base/settle-heap.js';

export interface DaemonParts {
  readonly engine: EngineSettings;
  readonly setup: AgentSetup;
  readonly agent: Agent;
  /** The collector as started, with its source and its state session. */
  readonly started: StartedCollector;
  /** Whether a state file is configured (state_file is not ""), written or not. */
  readonly stateWanted: boolean;
  readonly startListener: (address: string, healthyWithinMs: number) => Promise<Server>;
  readonly rebuild: () => { engine: EngineSettings; setup: AgentSetup };
}

function describeSchedule(s: ScheduleSpec): string {
  return s.kind === 'interval' ? `every ${s.intervalMs / 1000}s` : `cron ${s.expression}`;
}

function healthWindowMs(s: ScheduleSpec): number {
  return 3 * (s.kind === 'interval' ? s.intervalMs : 3_600_000);
}

/** What a stop did. */
export interface StopReport {
  /** Every sink ended ok and the state was saved (when one is configured). */
  readonly clean: boolean;
  /** undefined when no state file is configured. */
  readonly stateSaved: boolean | undefined;
  /** The series were ended (stale markers, Pushgateway DELETE) rather than left for the next start. */
  readonly seriesEnded: boolean;
}

/**
 * The running daemon: schedule, state checkpoints, listener, reload (SIGHUP) and graceful stop
 * (SIGTERM/SIGINT). One object so a reload can swap pieces between two cycles.
 */
export class Daemon {
  #engine: EngineSettings;
  #setup: AgentSetup;
  readonly #agent: Agent;
  #started: StartedCollector;
  readonly #env: CommandEnv;
  readonly #parts: DaemonParts;
  #scheduler: Scheduler;
  #listener: Server | undefined;
  #sinkKeys: Map<string, Sink>;
  /** A full collection is due after the next cycle (the first one, or the first after a reload). */
  #settlePending = true;
  /** A checkpoint is due after the next cycle whatever the time (the first one, or the first after a reload). */
  #checkpointPending = true;

  constructor(parts: DaemonParts, sinkKeys: Map<string, Sink>, env: CommandEnv) {
    this.#parts = parts;
    this.#engine = parts.engine;
    this.#setup = parts.setup;
    this.#agent = parts.agent;
    this.#started = parts.started;
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
    // The journal records the cycle's counters before they are pushed (agent's onCollected).
    await this.#agent.cycle();
    const session = this.#started.state.session;
    if (this.#checkpointPending || session.due(this.#env.nowMs(), this.#setup.sections.stateCheckpointMs)) {
      this.#checkpointPending = false;
      this.#checkpoint();
    }
    if (this.#settlePending) {
      // After the first cycle of a start or a reload: see base/settle-heap.ts.
      this.#settlePending = false;
      collectStartupGarbage();
    }
  }

  #checkpoint(options: { readonly final?: boolean } = {}): boolean {
    return this.#started.state.session.checkpoint(this.#agent.collector, sinkMemories(this.#agentSinks()), this.#started.source.bootTimeSeconds, options);
  }

  /** Journal of every cycle (see state-session.ts); the Agent calls it before each push. */
  journal(report: Parameters<StartedCollector['state']['session']['journal']>[0]): void {
    this.#started.state.session.journal(report, this.#agent.collector.counters);
  }

  /**
   * Starts the listener (503 until the first cycle is done), runs the first cycle at once (the state
   * is restored, or the startup cycle has set the baselines), then follows the schedule.
   */
  async start(): Promise<void> {
    const listen = this.#setup.sections.listen;
    if (listen !== undefined) this.#listener = await this.#parts.startListener(listen, healthWindowMs(this.#setup.sections.schedule));
    this.#logStarted('procpush started');
    await this.#cycle();
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
        stateFile: this.#started.state.session.path,
        stateCheckpoint: `${setup.sections.stateCheckpointMs / 1000}s`,
        staleMarkers: setup.sections.shutdown.staleMarkers,
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
    const source = engineChanged ? openSource(next.engine) : this.#started.source;
    const collector = engineChanged ? createCollector(next.engine, source) : this.#agent.collector;
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
    // A sink removed from the config ends its series (unless stale_markers: never): no later start
    // will continue them.
    const endRemoved = next.setup.sections.shutdown.staleMarkers !== 'never';
    for (const s of removed) {
      void s.close({ deadlineMs: this.#env.nowMs() + next.setup.sections.shutdown.timeoutMs, staleMarkers: endRemoved, ...(endRemoved ? {} : { deleteGroup: false }) });
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
    if (engineChanged) {
      this.#started = { ...this.#started, collector, source };
      this.#started.state.session.setFingerprint(engineFingerprint(next.engine));
    }
    // The state is written after the next cycle (new rules, sinks or options).
    this.#checkpointPending = true;
    this.#logStarted(engineChanged ? 'config reloaded: new rules, tracker restarted' : 'config reloaded');
    // The old config's parse and any old tracker are garbage now.
    this.#settlePending = true;
    return true;
  }

  /**
   * Graceful stop: the cycle in flight ends; the series are ended (stale markers, Pushgateway DELETE)
   * or left to the next start as `shutdown.stale_markers` says (auto: ended only when the state could
   * not be saved); sinks flush (one with a queue directory puts what is pending on disk and exits at
   * once); the state is saved.
   */
  async stop(): Promise<StopReport> {
    const { timeoutMs, staleMarkers } = this.#setup.sections.shutdown;
    const deadline = this.#env.nowMs() + timeoutMs;
    await this.#scheduler.stop();
    let saved: boolean | undefined;
    let endSeries: boolean;
    if (staleMarkers === 'auto') {
      // Saved first: whether the series can be continued depends on it.
      saved = this.#checkpoint({ final: true });
      endSeries = !saved;
    } else {
      endSeries = staleMarkers === 'always';
    }
    const sinksOk = await this.#agent.shutdown(deadline, { endSeries });
    // The sinks' memory after the stale markers (none left when they were sent).
    if (saved !== true) saved = this.#checkpoint({ final: true });
    this.#started.state.session.close();
    this.#listener?.close();
    this.#listener?.closeAllConnections();
    const stateSaved = this.#parts.stateWanted ? saved : undefined;
    return { clean: sinksOk && stateSaved !== false, stateSaved, seriesEnded: endSeries };
  }
}
