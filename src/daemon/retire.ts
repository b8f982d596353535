/**
 * `procpush retire --config.path F`: a node taken out for good. Sends stale markers for every series
 * the state says each remote-write sink pushed last (after what its queue directory still holds),
 * DELETEs each Pushgateway group of the node, and when every sink took it, removes the state (with
 * its journal) and the queue directories. Refused while an agent holds the state.
 */

import { rmSync } from 'node:fs';

import { describeError } from '../base/result.js';
import { journalPath } from '../collector/state-file.js';
import type { Config } from '../config/load.js';
import type { SinkConfig } from '../push/sink-config.js';
import { withOnceQueueDir } from '../push/sink-config.js';
import { setUpAgent } from './agent-setup.js';
import type { CommandEnv } from './env.js';
import { runStatePath } from './run.js';
import { openState, readBootId, restoreSinkMemories } from './state-session.js';

export async function retire(config: Config, options: { readonly statePath: string | undefined }, env: CommandEnv): Promise<number> {
  // With --state (the state of `once` runs), remote-write sinks without queue.dir use the queue
  // directory those runs used.
  const setup = setUpAgent(config, env, { onceStatePath: options.statePath });
  const statePath = options.statePath ?? runStatePath(config);
  const key = options.statePath === undefined ? 'state_file' : '--state';
  const state = openState(statePath, { fingerprint: config.fingerprint, bootId: readBootId(config.collection.procfs), key }, env);
  try {
    if (state.sinkMemory.length === 0) {
      env.logger.warn({ path: statePath }, 'retire: no state with pushed series: no stale markers can be sent (Pushgateway groups are still deleted)');
    }
    for (const u of restoreSinkMemories(setup.sinks, state.sinkMemory)) {
      env.logger.warn({ sink: u.name, target: u.target }, 'retire: a sink of the state is no longer configured: its series cannot be ended');
    }
    // Each sink is tried for at most shutdown.timeout.
    const deadlineMs = env.nowMs() + config.agent.shutdown.timeoutMs;
    const reports = await Promise.all(
      setup.sinks.map(async (sink) => {
        const r = await sink.close({ deadlineMs, staleMarkers: true, deleteGroup: true, extraLabels: setup.labels, untilDelivered: true });
        const fields = { sink: sink.name, target: sink.target, outcome: r.outcome, staleMarkers: sink.type === 'remote_write' ? r.samples : undefined, attempts: r.attempts, err: r.error };
        if (r.outcome === 'ok') env.logger.info(fields, sink.type === 'remote_write' ? 'retire: stale markers delivered' : 'retire: group deleted');
        else env.logger.error(fields, 'retire: not taken by this sink; state and queue kept, run retire again');
        return r.outcome === 'ok';
      }),
    );
    if (!reports.every(Boolean)) return 1;
    const sinks = options.statePath === undefined ? config.agent.sinks : config.agent.sinks.map((c) => withOnceQueueDir(c, options.statePath ?? ''));
    removeAll(statePath, sinks, env);
    env.logger.info({ path: statePath, sinks: setup.sinks.length }, 'retired: series ended, state and queues removed');
    return 0;
  } finally {
    state.session.close();
  }
}

function removeAll(statePath: string | undefined, sinks: readonly SinkConfig[], env: CommandEnv): void {
  const paths = statePath === undefined ? [] : [statePath, journalPath(statePath)];
  for (const s of sinks) if (s.type === 'remote_write' && s.queue.dir !== undefined) paths.push(s.queue.dir);
  // The parent of the queue directories `once --state` runs use.
  if (statePath !== undefined) paths.push(`${statePath}.queue`);
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch (e) {
      env.logger.warn({ path, err: describeError(e) }, 'retire: cannot remove');
    }
  }
}
