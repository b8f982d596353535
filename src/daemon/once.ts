import { writeFileSync } from 'node:fs';
import type { Agent } from '../agent/agent.js';
import { createCollector, openSource, restoreOrPrime } from '../collector/open.js';
import type { Collector } from '../collector/collector.js';
import { saveState } from '../collector/state-file.js';
import type { Config } from '../config/load.js';
import { renderExposition } from '../series/exposition.js';
import { createAgent, setUpAgent, type AgentSetup } from './agent-setup.js';
import { RuntimeError, type CommandEnv } from './env.js';

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
 * first scrape of `serve`). With `--state`: the saved tracker continues, so successive runs continue the
 * counters. With sinks, the cycle is pushed (exit 1 when a sink did not take it); without, it is printed.
 */
export async function once(config: Config, opts: OnceOptions, env: CommandEnv): Promise<number> {
  // Without a queue.dir, a remote-write sink queues what it could not send next to the state file.
  const setup = setUpAgent(config, env, { onceStatePath: opts.statePath });
  const collector = openCollector(config, opts.statePath, env);
  if (setup.sinks.length === 0) {
    const report = collector.cycle(env.nowMs());
    if (report.error !== undefined) env.logger.error({ err: report.error }, 'error reading procs');
    write(renderExposition(report.families), opts.output ?? '-', env);
  } else {
    const agent = createAgent(collector, config, setup, env);
    const delivered = await pushOnce(agent, setup, env.nowMs() + ONCE_DEADLINE_MS, env);
    if (opts.output !== undefined) write(agent.exposition(), opts.output, env);
    if (!delivered) {
      saveIfAsked(collector, config, opts, env);
      return 1;
    }
  }
  saveIfAsked(collector, config, opts, env);
  return 0;
}

function openCollector(config: Config, statePath: string | undefined, env: CommandEnv): Collector {
  const source = openSource(config.collection);
  if (!source.ok) throw new RuntimeError(source.error);
  return restoreOrPrime(createCollector(config.collection, config.namer, source.value), { path: statePath, fingerprint: config.fingerprint }, env);
}

function write(text: string, output: string, env: CommandEnv): void {
  if (output === '-') env.stdout(text);
  else writeFileSync(output, text);
}

function saveIfAsked(collector: Collector, config: Config, opts: OnceOptions, env: CommandEnv): void {
  if (opts.statePath !== undefined) saveState(opts.statePath, collector.snapshot(), env.nowMs(), config.fingerprint);
}

/** Pushes one cycle; resolves to false when a sink did not deliver. */
async function pushOnce(agent: Agent, setup: AgentSetup, deadlineMs: number, env: CommandEnv): Promise<boolean> {
  await agent.cycle();
  const reports = await agent.settle();
  const closes = await Promise.all(setup.sinks.map((s) => s.close({ deadlineMs, staleMarkers: false, deleteGroup: false })));
  const ok = [...reports, ...closes].every((r) => r.outcome === 'ok');
  if (!ok) env.logger.error({ sinks: setup.sinks.map((s) => s.name) }, 'one-shot push not delivered by every sink');
  return ok;
}
