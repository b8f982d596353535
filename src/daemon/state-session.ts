/**
 * The state file's life in one agent process: take its lock, restore (or start fresh, saying why),
 * append the journal after every cycle, write checkpoints, and release it all at the end. Used by
 * `run`, `once --state` and `retire`. docs/state.md describes what is kept and what a crash costs.
 */

import { createHash, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { Logger } from '../base/logger.js';
import type { Collector, CollectorFloors, CycleReport } from '../collector/collector.js';
import { loadState, lockState, removeStateTemps, saveState, StateJournalFile } from '../collector/state-file.js';
import type { SinkMemoryEntry, StateDocument } from '../collector/state-format.js';
import { JournalWriter } from '../collector/state-journal.js';
import { createCollector, openSource } from '../collector/open.js';
import type { Config } from '../config/load.js';
import type { ProcSource } from '../procfs/types.js';
import type { Sink } from '../push/types.js';
import { RuntimeError } from './env.js';

/** `${procfs}/sys/kernel/random/boot_id`: '' where the procfs root has none (test trees). */
export function readBootId(procfs: string): string {
  try {
    return readFileSync(`${procfs}/sys/kernel/random/boot_id`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The fingerprint as the state file keeps it: a hash (the rules can be long). */
export function fingerprintHash(fingerprint: string): string {
  return createHash('sha256').update(fingerprint).digest('hex').slice(0, 32);
}

/** How a loaded state is used. Pure. */
export type RestorePlan =
  | { readonly kind: 'continue'; readonly doc: StateDocument; readonly otherBoot: boolean }
  /** Written with other rules or options: counters are not continued (the sinks' memory still is). */
  | { readonly kind: 'other-rules'; readonly doc: StateDocument };

export function planRestore(doc: StateDocument, fingerprint: string, bootId: string): RestorePlan {
  if (doc.fingerprint !== fingerprintHash(fingerprint)) return { kind: 'other-rules', doc };
  const otherBoot = doc.bootId !== '' && bootId !== '' && doc.bootId !== bootId;
  if (!otherBoot) return { kind: 'continue', doc, otherBoot };
  // The processes of another boot are gone (a pid with the same start time is another process):
  // groups and counters continue, every process is new.
  const tracker = doc.collector.grouper.tracker;
  const grouper = { ...doc.collector.grouper, tracker: { firstUpdateAtMs: tracker.firstUpdateAtMs, tracked: [], ignored: [] } };
  return { kind: 'continue', doc: { ...doc, collector: { ...doc.collector, grouper } }, otherBoot };
}

export interface StateEnv {
  readonly logger: Logger;
  readonly nowMs: () => number;
}

/** What opening the state gave the caller. */
export interface OpenedState {
  readonly session: StateSession;
  /** The document to continue the collector from, undefined: start fresh (prime). */
  readonly restore: { readonly doc: StateDocument; readonly floors: CollectorFloors | undefined } | undefined;
  /** What each sink pushed last, from a readable state (even one of other rules). */
  readonly sinkMemory: readonly SinkMemoryEntry[];
}

/** Thrown when another process holds the state: the CLI exits 1 with the message. */
export class StateInUseError extends RuntimeError {}

/**
 * Opens the state at `path` (undefined: none). Another process holding it is an error; a state that
 * cannot be written gives one warning and the agent runs without one.
 */
export function openState(path: string | undefined, input: { readonly fingerprint: string; readonly bootId: string; readonly key: string }, env: StateEnv): OpenedState {
  const none = (): OpenedState => ({ session: new StateSession(undefined, input, env), restore: undefined, sinkMemory: [] });
  if (path === undefined) return none();
  const lock = lockState(path, env.nowMs());
  if (!lock.ok) {
    if (lock.reason === 'held') {
      throw new StateInUseError(`the state file ${path} is in use: ${lock.message}. Stop that agent, or give this one its own ${input.key}`);
    }
    env.logger.warn(
      { path, err: lock.message, key: input.key },
      `cannot write the state file: counters and series will not continue across a restart. Set ${input.key} to a writable path (or "" for none)`,
    );
    return none();
  }
  const removed = removeStateTemps(path);
  if (removed.length > 0) env.logger.info({ path, removed }, 'removed what an interrupted save left beside the state file');
  const session = new StateSession({ path, release: lock.release }, input, env);
  const loaded = loadState(path);
  switch (loaded.kind) {
    case 'missing':
      env.logger.info({ path }, 'no state file yet; starting fresh');
      return { session, restore: undefined, sinkMemory: [] };
    case 'unreadable':
      env.logger.warn({ path, err: loaded.error, key: input.key }, `state file unreadable; starting fresh (it will be overwritten; set ${input.key} to keep it)`);
      return { session, restore: undefined, sinkMemory: [] };
    case 'invalid': {
      const f = loaded.failure;
      const msg =
        f.kind === 'version'
          ? 'state file of another procpush version; starting fresh: counters restart once (it will be overwritten)'
          : f.kind === 'foreign'
            ? `not a procpush state file; starting fresh (it will be overwritten; set ${input.key} to keep it)`
            : 'state file damaged; starting fresh (it will be overwritten)';
      env.logger.warn({ path, err: f.reason, key: input.key }, msg);
      return { session, restore: undefined, sinkMemory: [] };
    }
    case 'ok':
      break;
  }
  if (loaded.journalProblem !== undefined) env.logger.warn({ path, err: loaded.journalProblem }, 'state journal unusable: counters continue from the checkpoint alone');
  const plan = planRestore(loaded.doc, input.fingerprint, input.bootId);
  if (plan.kind === 'other-rules') {
    env.logger.warn(
      { path, key: input.key, savedAt: new Date(loaded.doc.savedAtMs).toISOString() },
      `state file written with other process_names or collection options: counters start fresh (it will be overwritten; to keep it, set ${input.key} to another path)`,
    );
    return { session, restore: undefined, sinkMemory: loaded.doc.sinks };
  }
  env.logger.info(
    {
      path,
      savedAt: new Date(plan.doc.savedAtMs).toISOString(),
      processes: plan.doc.collector.grouper.tracker.tracked.length,
      groups: plan.doc.collector.grouper.groups.length,
      journalRecords: loaded.journalRecords,
      ...(plan.otherBoot ? { rebooted: true } : {}),
    },
    plan.otherBoot ? 'tracker state restored after a reboot: counters continue, every process is new' : 'tracker state restored: counters continue',
  );
  session.resumeJournal(plan.doc, loaded.journalMatches ? loaded.journalNames : undefined);
  return { session, restore: { doc: plan.doc, floors: loaded.floors }, sinkMemory: plan.doc.sinks };
}

/** What a sink keeps in the state (sinks without memory are left out). */
export function sinkMemories(sinks: readonly Sink[]): SinkMemoryEntry[] {
  const out: SinkMemoryEntry[] = [];
  for (const s of sinks) {
    const memory = s.memory?.();
    if (memory !== undefined) out.push({ name: s.name, target: s.target, memory });
  }
  return out;
}

/**
 * Gives each sink what it pushed last (matched by name and target). Returns the entries no sink took:
 * sinks removed from the config, whose last series nobody can end now.
 */
export function restoreSinkMemories(sinks: readonly Sink[], entries: readonly SinkMemoryEntry[]): SinkMemoryEntry[] {
  const left: SinkMemoryEntry[] = [];
  for (const e of entries) {
    const sink = sinks.find((s) => s.name === e.name && s.target === e.target && s.type === e.memory.kind);
    if (sink?.restoreMemory === undefined) left.push(e);
    else sink.restoreMemory(e.memory);
  }
  return left;
}

export class StateSession {
  readonly #file: { readonly path: string; readonly release: () => void } | undefined;
  #input: { readonly fingerprint: string; readonly bootId: string; readonly key: string };
  readonly #env: StateEnv;
  readonly #journal: StateJournalFile | undefined;
  readonly #writer = new JournalWriter();
  #lastCheckpointMs: number | undefined;
  #warned = false;
  #journalWarned = false;
  #closed = false;

  constructor(file: { readonly path: string; readonly release: () => void } | undefined, input: { readonly fingerprint: string; readonly bootId: string; readonly key: string }, env: StateEnv) {
    this.#file = file;
    this.#input = input;
    this.#env = env;
    this.#journal = file === undefined ? undefined : new StateJournalFile(file.path);
  }

  /** After a reload with other rules or options: the next checkpoints carry their fingerprint. */
  setFingerprint(fingerprint: string): void {
    this.#input = { ...this.#input, fingerprint };
  }

  /** The state file, undefined when there is none (not configured, or not writable). */
  get path(): string | undefined {
    return this.#file?.path;
  }

  /** When the last checkpoint was written (wall-clock ms), undefined before the first. */
  get lastCheckpointMs(): number | undefined {
    return this.#lastCheckpointMs;
  }

  /** Records the counters of a cycle in the journal; call it before the cycle is pushed. */
  journal(report: CycleReport, counters: Collector['counters']): void {
    const journal = this.#journal;
    if (journal === undefined || !journal.open || report.groups === undefined) return;
    const vanished = report.vanished.map((p) => ({ pid: p.pid, starttime: p.starttime, group: p.group, startTimeMs: p.static.startTimeMs, counts: p.metrics.counts }));
    const r = journal.append(this.#writer.record(this.#env.nowMs(), report.groups, counters, vanished));
    if (!r.ok && !this.#journalWarned) {
      this.#journalWarned = true;
      this.#env.logger.warn({ path: journal.path, err: r.error }, 'cannot append to the state journal: until the next checkpoint, a crash may lower counters');
    }
  }

  /** Whether a checkpoint is due `everyMs` after the last one. */
  due(nowMs: number, everyMs: number): boolean {
    return this.#file !== undefined && (this.#lastCheckpointMs === undefined || nowMs - this.#lastCheckpointMs >= everyMs);
  }

  /**
   * Writes a checkpoint of the collector and the sinks' memory, then starts a new journal. Returns
   * whether it was written (failures are logged once until a write succeeds).
   */
  checkpoint(collector: Collector, sinks: readonly SinkMemoryEntry[], sourceBootTimeSeconds: number, options: { readonly final?: boolean } = {}): boolean {
    const file = this.#file;
    if (file === undefined || this.#closed) return false;
    const nowMs = this.#env.nowMs();
    const checkpointId = randomInt(0, 2 ** 32);
    const snapshot = collector.snapshot();
    const doc: StateDocument = {
      savedAtMs: Math.round(nowMs),
      checkpointId,
      fingerprint: fingerprintHash(this.#input.fingerprint),
      bootId: this.#input.bootId,
      bootTimeSeconds: sourceBootTimeSeconds,
      collector: snapshot,
      sinks,
    };
    const saved = saveState(file.path, doc);
    if (!saved.ok) {
      if (!this.#warned) {
        this.#env.logger.warn(
          { path: file.path, err: saved.error, key: this.#input.key },
          `cannot write the state file: counters and series will not continue across a restart. Set ${this.#input.key} to a writable path (or "" for none)`,
        );
      }
      this.#warned = true;
      return false;
    }
    if (this.#warned) this.#env.logger.info({ path: file.path }, 'state file written again');
    this.#warned = false;
    this.#lastCheckpointMs = nowMs;
    this.#env.logger.debug({ path: file.path, bytes: saved.value, processes: snapshot.grouper.tracker.tracked.length }, 'state checkpoint');
    const journal = this.#journal;
    if (journal === undefined) return true;
    if (options.final === true) {
      journal.remove();
      return true;
    }
    const started = journal.start(checkpointId);
    if (!started.ok) {
      if (!this.#journalWarned) this.#env.logger.warn({ path: journal.path, err: started.error }, 'cannot write the state journal: until the next checkpoint, a crash may lower counters');
      this.#journalWarned = true;
      return true;
    }
    this.#journalWarned = false;
    const groups = new Map(snapshot.grouper.groups.map((g) => [g.name, { counts: g.counts, threads: g.threads }]));
    this.#writer.restart(groups, snapshot.counters);
    return true;
  }

  /**
   * After a restore: the journal goes on recording changes from the restored checkpoint (appended to
   * its journal, or a new one for it), so a crash before this run's first checkpoint loses nothing
   * more than the checkpoint alone would.
   */
  resumeJournal(doc: StateDocument, journalNames: readonly string[] | undefined): void {
    const journal = this.#journal;
    if (journal === undefined) return;
    const r = journal.resume(doc.checkpointId, journalNames !== undefined);
    if (!r.ok) {
      this.#journalWarned = true;
      this.#env.logger.warn({ path: journal.path, err: r.error }, 'cannot write the state journal: until the next checkpoint, a crash may lower counters');
      return;
    }
    const groups = new Map(doc.collector.grouper.groups.map((g) => [g.name, { counts: g.counts, threads: g.threads }]));
    this.#writer.restart(groups, doc.collector.counters, journalNames);
  }

  /** Releases the lock (the files stay). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#journal?.close();
    this.#file?.release();
  }
}

/** A collector and the state it continues (if any). */
export interface StartedCollector {
  readonly collector: Collector;
  readonly source: ProcSource;
  readonly state: OpenedState;
}

/**
 * A collector that continues the saved state when there is one (taking the state's lock), or a fresh
 * one after its startup cycle. `key` names the setting of the state path in messages (`state_file`, `--state`).
 */
export function startCollector(config: Config, statePath: string | undefined, key: string, env: StateEnv): StartedCollector {
  const source = openSource(config.collection);
  if (!source.ok) throw new RuntimeError(source.error);
  const state = openState(statePath, { fingerprint: config.fingerprint, bootId: readBootId(config.collection.procfs), key }, env);
  const collector = createCollector(config.collection, config.namer, source.value);
  if (state.restore !== undefined) collector.restore(state.restore.doc.collector, state.restore.floors, env.nowMs());
  else collector.prime(env.nowMs());
  return { collector, source: source.value, state };
}
