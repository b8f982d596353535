/**
 * Remembers which series a remote-write sink sent last cycle, so that a series that disappears (a
 * group whose processes all exited, a thread name that vanished) gets one stale marker at the next
 * cycle's timestamp, and every series gets one on graceful shutdown (remote write 1.0 spec: "MUST send
 * stale markers"; Prometheus then stops returning the series at once instead of after 5 minutes).
 * Holds state, does no I/O.
 */

import type { Label } from '../../series/types.js';

export interface TrackedSeries {
  readonly key: string;
  readonly labels: readonly Label[];
}

export class StaleTracker {
  #live = new Map<string, readonly Label[]>();

  get size(): number {
    return this.#live.size;
  }

  /**
   * Makes `current` the live set and returns the series that were live before and are absent now,
   * in the order they were first seen.
   */
  advance(current: readonly TrackedSeries[]): TrackedSeries[] {
    const next = new Map<string, readonly Label[]>();
    for (const s of current) next.set(s.key, s.labels);
    const gone: TrackedSeries[] = [];
    for (const [key, labels] of this.#live) {
      if (!next.has(key)) gone.push({ key, labels });
    }
    this.#live = next;
    return gone;
  }

  /** Returns every live series and forgets them (shutdown). */
  takeAll(): TrackedSeries[] {
    const all = [...this.#live].map(([key, labels]) => ({ key, labels }));
    this.#live = new Map();
    return all;
  }
}
