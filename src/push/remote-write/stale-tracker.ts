/**
 * Remembers which series a remote-write sink sent last cycle, so that a series that disappears (a
 * group whose processes all exited, a thread name that vanished) gets one stale marker at the next
 * cycle's timestamp, and every series gets one on graceful shutdown (remote write 1.0 spec: "MUST send
 * stale markers"; Prometheus then stops returning the series at once instead of after 5 minutes).
 * Holds state, does no I/O.
 */

import type { Label } from '../../series/types.js';
import { labelSetKey } from '../series-labels.js';

export interface TrackedSeries {
  readonly key: string;
  readonly labels: readonly Label[];
}

export class StaleTracker {
  /** Live series by key, in the order they were first seen, with the last payload that had them. */
  #live = new Map<string, { labels: readonly Label[]; seen: number }>();
  #payload = 0;

  get size(): number {
    return this.#live.size;
  }

  /**
   * Makes `current` the live set and returns the series that were live before and are absent now,
   * in the order they were first seen. Updated in place: a steady payload allocates nothing here.
   */
  advance(current: readonly TrackedSeries[]): TrackedSeries[] {
    const payload = ++this.#payload;
    const live = this.#live;
    let distinct = 0;
    for (let i = 0; i < current.length; i++) {
      const s = current[i];
      if (s === undefined) continue;
      const entry = live.get(s.key);
      if (entry === undefined) {
        live.set(s.key, { labels: s.labels, seen: payload });
        distinct++;
      } else {
        if (entry.seen !== payload) distinct++;
        entry.labels = s.labels;
        entry.seen = payload;
      }
    }
    const gone: TrackedSeries[] = [];
    if (live.size > distinct) {
      live.forEach((entry, key, map) => {
        if (entry.seen !== payload) {
          gone.push({ key, labels: entry.labels });
          map.delete(key);
        }
      });
    }
    return gone;
  }

  /** The label sets of the live series, in the order they were first seen. */
  labelSets(): (readonly Label[])[] {
    const out: (readonly Label[])[] = [];
    this.#live.forEach((entry) => out.push(entry.labels));
    return out;
  }

  /**
   * Adds series a previous run pushed (the state file) to the live set: the next `advance` reports
   * those it does not see again as gone, as if this run had sent them.
   */
  restore(labelSets: readonly (readonly Label[])[]): void {
    for (const labels of labelSets) {
      const key = labelSetKey(labels);
      if (!this.#live.has(key)) this.#live.set(key, { labels, seen: this.#payload });
    }
  }

  /** Returns every live series and forgets them (shutdown). */
  takeAll(): TrackedSeries[] {
    const all: TrackedSeries[] = [];
    this.#live.forEach((entry, key) => all.push({ key, labels: entry.labels }));
    this.#live = new Map();
    return all;
  }
}
