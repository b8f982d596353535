import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';

/** When cycles run: every `intervalMs`, aligned to multiples of it since the epoch, or on a cron expression. */
export type ScheduleSpec = { readonly kind: 'interval'; readonly intervalMs: number } | { readonly kind: 'cron'; readonly expression: string };

/** Timers, injected so tests can drive the scheduler without sleeping. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  nowMs(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => {
    clearTimeout(h as NodeJS.Timeout);
  },
  nowMs: () => Date.now(),
};

/** The next aligned tick strictly after `nowMs`. */
export function nextAlignedMs(nowMs: number, intervalMs: number): number {
  return (Math.floor(nowMs / intervalMs) + 1) * intervalMs;
}

export function validateCron(expression: string): string | undefined {
  const v = cron.validateDetailed(expression);
  if (v.valid) return undefined;
  return v.errors.map((e) => `${e.field}: ${e.message}`).join('; ') || 'invalid cron expression';
}

/**
 * Runs `cycle` on the schedule. Cycles never overlap: a tick that comes while a cycle runs is skipped
 * (and reported through `onSkip`), the next one is computed from the time the cycle ended.
 */
export class Scheduler {
  readonly #spec: ScheduleSpec;
  readonly #timers: Timers;
  readonly #cycle: (scheduledMs: number) => Promise<void>;
  readonly #onSkip: (scheduledMs: number) => void;
  #handle: unknown;
  #cronTask: ScheduledTask | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(spec: ScheduleSpec, cycle: (scheduledMs: number) => Promise<void>, opts: { timers?: Timers; onSkip?: (scheduledMs: number) => void } = {}) {
    this.#spec = spec;
    this.#cycle = cycle;
    this.#timers = opts.timers ?? realTimers;
    this.#onSkip = opts.onSkip ?? (() => undefined);
  }

  start(): void {
    if (this.#spec.kind === 'cron') {
      this.#cronTask = cron.schedule(
        this.#spec.expression,
        () => {
          this.#fire(this.#timers.nowMs());
        },
        { noOverlap: false },
      );
      return;
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped || this.#spec.kind !== 'interval') return;
    const now = this.#timers.nowMs();
    const at = nextAlignedMs(now, this.#spec.intervalMs);
    this.#handle = this.#timers.setTimeout(() => {
      this.#fire(at);
      this.#arm();
    }, at - now);
  }

  #fire(scheduledMs: number): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#onSkip(scheduledMs);
      return;
    }
    const run = this.#cycle(scheduledMs).finally(() => {
      this.#running = undefined;
    });
    this.#running = run;
  }

  /** Stops future cycles and waits for the one in flight, if any. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    if (this.#cronTask !== undefined) await this.#cronTask.stop();
    await this.#running;
  }
}
