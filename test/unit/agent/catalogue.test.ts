/**
 * The static-label rule is derived from the metric catalogue: every label the pushed series can carry
 * is in SERIES_LABEL_NAMES, so a static label can never collide with one (and the runtime rename of a
 * colliding static label never happens for procpush's own series).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SERIES_LABEL_NAMES, staticLabelNameProblem } from '../../../src/agent/labels.js';
import { buildSelfFamilies } from '../../../src/agent/self-metrics.js';
import type { SinkStats } from '../../../src/push/types.js';
import { buildBudgetFamilies, buildNamedProcessFamilies } from '../../../src/series/namedprocess.js';
import type { MetricFamily } from '../../../src/series/types.js';
import type { GroupStats } from '../../../src/tracker/grouper.js';

const counts = { cpuUser: 1, cpuSystem: 1, readBytes: 1, writeBytes: 1, majorPageFaults: 1, minorPageFaults: 1, ctxSwitchVoluntary: 1, ctxSwitchNonvoluntary: 1 };
const group: GroupStats = {
  counts,
  states: { running: 1, sleeping: 1, waiting: 1, zombie: 1, other: 1 },
  wchans: new Map([['ep_poll', 2]]),
  procs: 2,
  memory: { residentBytes: 1, virtualBytes: 1, vmSwapBytes: 1, proportionalBytes: 1, proportionalSwapBytes: 1 },
  oldestStartMs: 1,
  openFds: 1,
  worstFdRatio: 0.1,
  numThreads: 3,
  threads: [{ name: 'worker', numThreads: 2, counts }],
};
const stats: SinkStats = {
  samplesSentTotal: 1,
  samplesFailedTotal: 1,
  samplesRetriedTotal: 1,
  samplesDroppedTotal: 1,
  batchesSupersededTotal: 1,
  requestsTotal: 1,
  lastSuccessTimestampMs: 1,
  queueBatches: 1,
  queueSamples: 1,
};

/** Every family procpush pushes, with every optional part on. */
function everyFamily(): MetricFamily[] {
  return [
    ...buildNamedProcessFamilies(new Map([['svc', group]]), { scrapeErrors: 1, procReadErrors: 1, partialErrors: 1 }, { threads: true, gatherSmaps: true }),
    ...buildBudgetFamilies({ exceeded: 1, skippedProcesses: 1 }),
    ...buildSelfFamilies({
      version: '1',
      cycles: 1,
      skippedCycles: 1,
      lastCycleSeconds: 1,
      lastCycleTimestampMs: 1,
      processesTracked: 1,
      readErrors: 1,
      partialErrors: 1,
      series: 1,
      sinks: [
        { name: 'rw', type: 'remote_write', stats },
        { name: 'pg', type: 'pushgateway', stats },
      ],
    }),
  ];
}

describe('the metric catalogue and the static-label rule', () => {
  it('covers every label of every family procpush pushes', () => {
    const seen = new Set<string>();
    for (const f of everyFamily()) for (const s of f.samples) for (const l of s.labels) seen.add(l.name);
    for (const name of seen) assert.ok(SERIES_LABEL_NAMES.has(name), `${name} is emitted but not in the catalogue`);
    assert.ok(['groupname', 'threadname', 'kind', 'type', 'sink', 'version', 'job'].every((n) => SERIES_LABEL_NAMES.has(n)));
  });

  it('refuses those names, and invalid ones, as static labels; node, ip, instance and others pass', () => {
    for (const name of SERIES_LABEL_NAMES) assert.match(staticLabelNameProblem(name) ?? '', /cannot be set statically/, name);
    assert.match(staticLabelNameProblem('__x') ?? '', /invalid label name/);
    for (const name of ['node', 'ip', 'instance', 'team', 'dc']) assert.equal(staticLabelNameProblem(name), undefined, name);
  });

  it('reports Pushgateway snapshots superseded before they were sent, for Pushgateway sinks only', () => {
    const f = everyFamily().find((x) => x.name === 'procpush_sink_batches_superseded_total');
    assert.deepEqual(f?.samples.map((s) => s.labels.map((l) => l.value).join('/')), ['pg/pushgateway']);
  });
});
