import type { Config } from '../config/load.js';
import { setUpAgent } from './agent-setup.js';
import type { CommandEnv } from './env.js';

/**
 * `procpush check`: the config as the agent would run it (rules, schedule, resolved labels, sinks),
 * after every check `run` makes at startup (labels resolved on this host, secret files readable).
 */
export function check(config: Config, env: CommandEnv): void {
  const setup = setUpAgent(config, env);
  const lines = [`${config.namingSource}: OK, ${config.namer.rules.length} rule(s)`];
  for (const r of config.namer.rules) lines.push(`  ${r.description}`);
  const sched = config.agent.schedule;
  lines.push(
    `schedule: ${sched.kind === 'interval' ? `every ${sched.intervalMs / 1000}s` : `cron ${sched.expression}`}`,
    `labels: ${setup.labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(' ')}`,
    `sinks: ${setup.sinks.length === 0 ? 'none' : setup.sinks.map((k) => `${k.name} (${k.type} ${k.target})`).join(', ')}`,
  );
  env.stdout(`${lines.join('\n')}\n`);
}
