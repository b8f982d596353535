/**
 * The push side of a loaded config, built for `run`, `once` and `check`: the static labels resolved
 * against this host, the secret files checked, the sinks created. Problems are config issues placed in
 * the file (UsageError, exit 2).
 */
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { Agent } from '../agent/agent.js';
import { resolveStaticLabels } from '../agent/labels.js';
import { monotonicMs } from '../base/monotonic.js';
import { describeError, errnoCode } from '../base/result.js';
import { VERSION } from '../base/version.js';
import type { Collector, CycleReport } from '../collector/collector.js';
import type { Config } from '../config/load.js';
import { formatConfigIssue, type ConfigIssue } from '../config/issues.js';
import { createSink } from '../push/create-sink.js';
import { createNodeSinkDeps } from '../push/node-deps.js';
import { withOnceQueueDir, type SinkConfig } from '../push/sink-config.js';
import type { Sink } from '../push/types.js';
import type { Label } from '../series/types.js';
import { UsageError, type CommandEnv } from './env.js';

export interface AgentSetup {
  /** node, ip, instance and the configured labels, resolved on this host, sorted. */
  readonly labels: readonly Label[];
  /** One per `sinks:` entry, in the same order. */
  readonly sinks: readonly Sink[];
}

/**
 * Resolves the static labels, checks the secret files and builds the sinks of `config`.
 * `onceStatePath` (one-shot runs: the `--state` file): remote-write sinks without `queue.dir` queue on disk
 * in `<state>.queue/<sink>`, so a push that fails is sent first by the next run.
 */
export function setUpAgent(config: Config, env: CommandEnv, options: { readonly onceStatePath?: string | undefined } = {}): AgentSetup {
  const issues: ConfigIssue[] = [];
  const labels = resolveStaticLabels(config.agent.labels, { env: process.env, hostname: hostname(), interfaces: networkInterfaces() });
  if (!labels.ok) for (const p of labels.error) issues.push(config.issueAt(['labels', p.name], p.message));
  config.agent.sinks.forEach((sc, i) => {
    for (const p of secretFileProblems(sc, i)) issues.push(config.issueAt(p.path, p.message));
  });
  if (issues.length > 0 || !labels.ok) throw new UsageError(issues.map(formatConfigIssue).join('\n'));
  const deps = createNodeSinkDeps({ logger: env.logger, version: VERSION });
  const sinks: Sink[] = [];
  for (const sc of config.agent.sinks) {
    const sink = createSink(options.onceStatePath === undefined ? sc : withOnceQueueDir(sc, options.onceStatePath), deps);
    if (!sink.ok) throw new UsageError(sink.error);
    sinks.push(sink.value);
  }
  return { labels: labels.value, sinks };
}

/** password_file / bearer_token_file must be readable at startup (they are read again at every request). */
function secretFileProblems(sc: SinkConfig, index: number): { path: (string | number)[]; message: string }[] {
  const auth = sc.auth;
  const file = auth.kind === 'basic' ? auth.password : auth.kind === 'bearer' ? auth.token : undefined;
  if (file === undefined || !('file' in file)) return [];
  const path = auth.kind === 'basic' ? ['sinks', index, 'basic_auth', 'password_file'] : ['sinks', index, 'bearer_token_file'];
  try {
    readFileSync(file.file);
    return [];
  } catch (e) {
    return [{ path, message: `cannot read ${file.file}: ${errnoCode(e) ?? describeError(e)}` }];
  }
}

/** The time a cycle's pushes may take: 90% of the interval, so a slow receiver never delays the next cycle's push. */
export function sendBudgetMs(config: Config): number | undefined {
  const s = config.agent.schedule;
  return s.kind === 'interval' ? Math.floor(s.intervalMs * 0.9) : undefined;
}

export function createAgent(collector: Collector, config: Config, setup: AgentSetup, env: CommandEnv, onCollected?: (report: CycleReport) => void): Agent {
  return new Agent({
    ...(onCollected !== undefined ? { onCollected } : {}),
    collector,
    sinks: setup.sinks,
    staticLabels: setup.labels,
    logger: env.logger,
    nowMs: env.nowMs,
    monotonicMs,
    version: VERSION,
    sendBudgetMs: sendBudgetMs(config),
  });
}
