import type { Server } from 'node:http';
import type { Agent } from '../agent/agent.js';
import { Scheduler } from '../agent/schedule.js';
import type { ScheduleSpec } from '../agent/schedule.js';
import type { Sink } from '../push/types.js';
import { redactUrl } from '../push/redact.js';
import { describeError, type Result } from '../base/result.js';
import { createCollector, openSource } from '../collector/open.js';
import { VERSION } from '../base/version.js';
import { collectStartupGarbage } from '../base/memory.js';
import type { Config } from '../config/load.js';
import { formatConfigIssue, type ConfigIssue } from '../config/issues.js';
import { sendBudgetMs, setUpAgent, type AgentSetup } from './agent-setup.js';
import type { CommandEnv } from './env.js';
import { closeServer } from './listener.js';
import { sinkMemories, type StartedCollector } from './state-session.js';
import type { CycleReport } from '../collector/collector.js';

export interface DaemonParts {
  readonly config: Config;
  readonly setup: AgentSetup;
  readonly agent: Agent;
  /** The collector as started, with its source and its state session. */
  readonly started: StartedCollector;
  /** Whether a state file is configured (state_file is not ""), written or not. */
  readonly stateWanted: boolean;
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
  #config: Config;
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

  constructor(parts: DaemonParts, env: CommandEnv) {
    this.#parts = parts;
    this.#config = parts.config;
    this.#setup = parts.setup;
    this.#agent = parts.agent;
    this.#started = parts.started;
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
    // The journal records the cycle's counters before they are pushed (the agent's onCollected).
    await this.#agent.cycle();
    const session = this.#started.state.session;
    if (this.#checkpointPending || session.due(this.#env.nowMs(), this.#config.agent.stateCheckpointMs)) {
      this.#checkpointPending = false;
      this.#checkpoint();
    }
    if (this.#settlePending) {
      // After the first cycle of a start or a reload: see base/memory.ts.
      this.#settlePending = false;
      collectStartupGarbage();
    }
  }

  #checkpoint(options: { readonly final?: boolean } = {}): boolean {
    return this.#started.state.session.checkpoint(this.#agent.collector, sinkMemories(this.#agentSinks()), this.#started.source.bootTimeSeconds, options);
  }

  /** Journal of every cycle (see state-session.ts); the agent calls it before each push. */
  journal(report: CycleReport): void {
    this.#started.state.session.journal(report, this.#agent.collector.counters);
  }

  /**
   * Starts the listener (503 until the first cycle is done), runs the first cycle at once (the state
   * is restored, or the startup cycle has set the baselines), then follows the schedule.
   */
  async start(): Promise<void> {
    const listen = this.#config.agent.listen;
    if (listen !== undefined) this.#listener = await this.#parts.startListener(listen, healthWindowMs(this.#config.agent.schedule));
    this.#logStarted('procpush started');
    await this.#cycle();
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
        stateFile: this.#started.state.session.path,
        stateCheckpoint: `${config.agent.stateCheckpointMs / 1000}s`,
        staleMarkers: config.agent.shutdown.staleMarkers,
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
    let newSource = this.#started.source;
    if (engineChanged) {
      const source = openSource(next.config.collection);
      if (!source.ok) {
        this.#env.logger.error({ err: source.error }, 'reload failed: the new procfs root cannot be read; keeping the running config');
        for (const s of next.setup.sinks) void s.close({ staleMarkers: false, deleteGroup: false });
        return false;
      }
      collector = createCollector(next.config.collection, next.config.namer, source.value);
      collector.prime(this.#env.nowMs());
      newSource = source.value;
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
    // A sink removed from the config ends its series (unless stale_markers: never): no later start
    // will continue them.
    const { timeoutMs, staleMarkers } = next.config.agent.shutdown;
    const endRemoved = staleMarkers !== 'never';
    for (const s of removed) void s.close({ deadlineMs: this.#env.nowMs() + timeoutMs, staleMarkers: endRemoved, ...(endRemoved ? {} : { deleteGroup: false }) });
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
    if (engineChanged) {
      this.#started = { ...this.#started, collector, source: newSource };
      this.#started.state.session.setFingerprint(next.config.fingerprint);
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
    const { timeoutMs, staleMarkers } = this.#config.agent.shutdown;
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
    closeServer(this.#listener);
    const stateSaved = this.#parts.stateWanted ? saved : undefined;
    return { clean: sinksOk && stateSaved !== false, stateSaved, seriesEnded: endSeries };
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
