import { writeFileSync } from 'node:fs';
import type { Agent } from '../agent/agent.js';
import type { Config } from '../config/load.js';
import { renderExposition } from '../series/exposition.js';
import { createAgent, setUpAgent, type AgentSetup } from './agent-setup.js';
import type { CommandEnv } from './env.js';
import { restoreSinkMemories, sinkMemories, startCollector } from './state-session.js';

export interface OnceOptions {
  /** Where the exposition text goes: `-` for stdout, a file path, or undefined (stdout when there are no sinks). */
  readonly output: string | undefined;
  /** Tracker state carried between runs. */
  readonly statePath: string | undefined;
}

/** How long a one-shot push may take. */
const ONCE_DEADLINE_MS = 30_000;

/**
 * `procpush once`: one reported cycle. Without state: a startup cycle, then the reported one (as the
 * first scrape of `serve`). With `--state`: the saved tracker continues (under the state's lock), so
 * successive runs continue the counters, and the series too (a series gone since the last run gets its
 * stale marker). With sinks, the cycle is pushed (exit 1 when a sink did not take it); without, it is
 * printed. The state is saved once the cycle is queued, before it is delivered: the next run continues
 * from it whatever this push gives (what is not delivered waits in the queue).
 */
export async function once(config: Config, opts: OnceOptions, env: CommandEnv): Promise<number> {
  // Without a queue.dir, a remote-write sink queues what it could not send next to the state file.
  const setup = setUpAgent(config, env, { onceStatePath: opts.statePath });
  const started = startCollector(config, opts.statePath, '--state', env);
  const { collector, source, state } = started;
  try {
    if (setup.sinks.length === 0) {
      const report = collector.cycle(env.nowMs());
      if (report.error !== undefined) env.logger.error({ err: report.error }, 'error reading procs');
      state.session.checkpoint(collector, [], source.bootTimeSeconds, { final: true });
      write(renderExposition(report.families), opts.output ?? '-', env);
      return 0;
    }
    restoreSinkMemories(setup.sinks, state.sinkMemory);
    const agent = createAgent(collector, config, setup, env);
    const delivered = await pushOnce(agent, setup, env.nowMs() + ONCE_DEADLINE_MS, env, () => {
      state.session.checkpoint(collector, sinkMemories(setup.sinks), source.bootTimeSeconds, { final: true });
    });
    if (opts.output !== undefined) write(agent.exposition(), opts.output, env);
    return delivered ? 0 : 1;
  } finally {
    state.session.close();
  }
}

function write(text: string, output: string, env: CommandEnv): void {
  if (output === '-') env.stdout(text);
  else writeFileSync(output, text);
}

/** Pushes one cycle; resolves to false when a sink did not deliver. `queued` runs once the sinks have it. */
async function pushOnce(agent: Agent, setup: AgentSetup, deadlineMs: number, env: CommandEnv, queued: () => void): Promise<boolean> {
  await agent.cycle();
  queued();
  const reports = await agent.settle();
  const closes = await Promise.all(setup.sinks.map((s) => s.close({ deadlineMs, staleMarkers: false, deleteGroup: false })));
  const ok = [...reports, ...closes].every((r) => r.outcome === 'ok');
  if (!ok) env.logger.error({ sinks: setup.sinks.map((s) => s.name) }, 'one-shot push not delivered by every sink');
  return ok;
}
