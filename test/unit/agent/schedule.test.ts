import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextAlignedMs, Scheduler, validateCron } from '../../../src/agent/schedule.js';
import type { Timers } from '../../../src/agent/schedule.js';

/** Manual timers: time only moves when the test says so. */
class ManualTimers implements Timers {
  now = 0;
  #pending: { at: number; fn: () => void; id: number }[] = [];
  #id = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#id;
    this.#pending.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.#pending = this.#pending.filter((p) => p.id !== h);
  }
  nowMs(): number {
    return this.now;
  }
  /** Advances time to `t`, running due timers in order. */
  advanceTo(t: number): void {
    for (;;) {
      this.#pending.sort((a, b) => a.at - b.at);
      const next = this.#pending[0];
      if (next === undefined || next.at > t) break;
      this.#pending.shift();
      this.now = next.at;
      next.fn();
    }
    this.now = t;
  }
}

describe('Scheduler', () => {
  it('aligns ticks to multiples of the interval', () => {
    assert.equal(nextAlignedMs(12_345, 15_000), 15_000);
    assert.equal(nextAlignedMs(15_000, 15_000), 30_000);
  });

  it('runs one cycle per aligned tick', async () => {
    const timers = new ManualTimers();
    timers.now = 7_000;
    const ran: number[] = [];
    const s = new Scheduler({ kind: 'interval', intervalMs: 15_000 }, (at) => {
      ran.push(at);
      return Promise.resolve();
    }, { timers });
    s.start();
    for (const t of [15_000, 30_000, 45_000]) {
      timers.advanceTo(t);
      await Promise.resolve();
      await Promise.resolve();
    }
    assert.deepEqual(ran, [15_000, 30_000, 45_000]);
    await s.stop();
  });

  it('never overlaps cycles: a tick during a running cycle is skipped and reported', async () => {
    const timers = new ManualTimers();
    let release: () => void = () => undefined;
    const ran: number[] = [];
    const skipped: number[] = [];
    const s = new Scheduler(
      { kind: 'interval', intervalMs: 1000 },
      (at) => {
        ran.push(at);
        return new Promise<void>((r) => {
          release = r;
        });
      },
      { timers, onSkip: (at) => skipped.push(at) },
    );
    s.start();
    timers.advanceTo(1000);
    timers.advanceTo(2000);
    assert.deepEqual(ran, [1000]);
    assert.deepEqual(skipped, [2000]);
    release();
    await new Promise((r) => setImmediate(r));
    timers.advanceTo(3000);
    assert.deepEqual(ran, [1000, 3000]);
    release();
    await s.stop();
  });

  it('validates cron expressions with node-cron', () => {
    assert.equal(validateCron('*/5 * * * *'), undefined);
    assert.notEqual(validateCron('61 * * * *'), undefined);
  });
});
