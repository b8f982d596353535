/**
 * The CLI: flags, help, dispatch and exit codes. Loaded by src/cli.ts after the V8 flags are set.
 * Everything after the config is loaded runs in daemon/ (and collector/ for explain).
 *
 * The push stack (sinks, protobufjs, node-cron, the durable queue) is imported only by the commands
 * that push (`run`, `once`, `retire`, `check`): `serve` and `explain` never load it (docs/architecture.md, Memory).
 */
import { formatFlagHelp, parseGoFlags } from './flags.js';
import type { FlagSpec, ParsedFlags } from './flags.js';
import { COLLECTION_FLAGS } from '../config/flags.js';
import { loadConfig, type Config } from '../config/load.js';
import { formatConfigIssue } from '../config/issues.js';
import { explainProcesses } from '../collector/explain.js';
import { openSource } from '../collector/open.js';
import { serveUntilStopped } from '../daemon/serve.js';
import { RuntimeError, UsageError, type CommandEnv } from '../daemon/env.js';
import { SignalInbox } from '../daemon/signals.js';
import { createLogger, isLogLevel, LOG_LEVELS } from '../base/logger.js';
import type { LogLevel } from '../base/logger.js';
import { describeError } from '../base/result.js';
import { VERSION } from '../base/version.js';

const LOG_FLAG: FlagSpec = { name: 'log.level', kind: 'string', help: `log level: ${LOG_LEVELS.join(', ')}`, defaultText: 'info' };

interface CommandSpec {
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
}

const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  serve: {
    summary: 'serve /metrics like process-exporter (a drop-in: same flags, same series)',
    flags: [
      ...COLLECTION_FLAGS,
      { name: 'web.listen-address', kind: 'string', help: 'address on which to expose metrics', defaultText: ':9256' },
      { name: 'web.telemetry-path', kind: 'string', help: 'path under which to expose metrics', defaultText: '/metrics' },
      LOG_FLAG,
    ],
  },
  once: {
    summary: 'run one cycle: push it to the configured sinks (exit 1 if one did not take it), or print it when there are none',
    flags: [
      ...COLLECTION_FLAGS,
      { name: 'output', kind: 'string', help: 'where to write the exposition text; - for stdout (default when the config has no sinks)' },
      { name: 'state', kind: 'string', help: 'tracker state file, loaded and saved so successive runs continue the counters' },
      LOG_FLAG,
    ],
  },
  run: {
    summary: 'the push agent: sample on a schedule and push to the configured sinks',
    flags: [...COLLECTION_FLAGS, LOG_FLAG],
  },
  retire: {
    summary: 'a node taken out for good: end its series (stale markers, Pushgateway DELETE), then remove its state and queues; exit 1 unless every sink took it',
    flags: [...COLLECTION_FLAGS, { name: 'state', kind: 'string', help: 'the state file, when it is not the config\'s (the --state of once runs)' }, LOG_FLAG],
  },
  check: { summary: 'validate a config and print the groups it defines', flags: [...COLLECTION_FLAGS, LOG_FLAG] },
  explain: { summary: 'show every live process, the rule that matched it (or why none did) and its group', flags: [...COLLECTION_FLAGS, LOG_FLAG] },
};

function usage(): string {
  const cmds = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
    .join('\n');
  return `procpush ${VERSION}: push process-exporter's namedprocess_* metrics\n\nUsage: procpush <command> [flags]\n\nCommands:\n${cmds}\n\nprocpush --version prints the version; procpush <command> --help lists a command's flags.\nprocpush [flags] with no command runs serve (a drop-in for process-exporter).\n`;
}

function commandHelp(name: string, spec: CommandSpec): string {
  return `Usage: procpush ${name} [flags]\n\n${spec.summary}\n\nFlags:\n${formatFlagHelp(spec.flags)}\n`;
}

function str(f: ParsedFlags, name: string): string | undefined {
  const v = f.values.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Runs the CLI; resolves to the exit code, or never resolves for long-running commands. */
export async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === 'help' || first === '--help' || first === '-h' || first === '-help') {
    process.stdout.write(usage());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-version' || first === 'version') {
    process.stdout.write(`procpush ${VERSION}\n`);
    return 0;
  }
  const name = first.startsWith('-') ? 'serve' : first;
  const rest = first.startsWith('-') ? argv : argv.slice(1);
  const spec = COMMANDS[name];
  if (spec === undefined) {
    process.stderr.write(`procpush: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const parsed = parseGoFlags(rest, spec.flags);
  if (!parsed.ok) {
    process.stderr.write(`procpush ${name}: ${parsed.error}\n\n${commandHelp(name, spec)}`);
    return 2;
  }
  const flags = parsed.value;
  if (flags.help) {
    process.stdout.write(commandHelp(name, spec));
    return 0;
  }
  if (flags.positional.length > 0) {
    process.stderr.write(`procpush ${name}: unexpected argument "${flags.positional[0] ?? ''}"\n`);
    return 2;
  }
  const level = str(flags, 'log.level') ?? 'info';
  if (!isLogLevel(level)) {
    process.stderr.write(`procpush ${name}: invalid --log.level "${level}"; expected one of ${LOG_LEVELS.join(', ')}\n`);
    return 2;
  }
  const env: CommandEnv = {
    stdout: (t) => process.stdout.write(t),
    logger: createLogger(level satisfies LogLevel),
    nowMs: () => Date.now(),
  };
  // `run` catches its signals from the start: one during the startup waits for it (daemon/signals.ts).
  const inbox = name === 'run' ? new SignalInbox() : undefined;
  try {
    const reload = (): ReturnType<typeof loadConfig> => loadConfig({ flags: flags.values });
    const loaded = await reload();
    if (!loaded.ok) throw new UsageError(loaded.error.map(formatConfigIssue).join('\n'));
    const config = loaded.value;
    if (name !== 'check') for (const w of config.warnings) env.logger.warn({ warning: formatConfigIssue(w) }, 'config warning');
    return await dispatch(name, config, flags, reload, env, inbox);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`procpush ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof RuntimeError) {
      process.stderr.write(`procpush ${name}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`procpush ${name}: internal error: ${describeError(e)}\n`);
    return 1;
  }
}

async function dispatch(
  name: string,
  config: Config,
  flags: ParsedFlags,
  reload: () => ReturnType<typeof loadConfig>,
  env: CommandEnv,
  inbox: SignalInbox | undefined,
): Promise<number> {
  switch (name) {
    case 'serve':
      return await serveUntilStopped(
        config,
        { listenAddress: str(flags, 'web.listen-address') ?? ':9256', telemetryPath: str(flags, 'web.telemetry-path') ?? '/metrics' },
        env,
      );
    case 'once': {
      const { once } = await import('../daemon/once.js');
      return await once(config, { output: str(flags, 'output'), statePath: str(flags, 'state') }, env);
    }
    case 'run': {
      const { run } = await import('../daemon/run.js');
      return await run(config, reload, env, inbox ?? new SignalInbox());
    }
    case 'retire': {
      const { retire } = await import('../daemon/retire.js');
      return await retire(config, { statePath: str(flags, 'state') }, env);
    }
    case 'check': {
      const { check } = await import('../daemon/check.js');
      for (const w of config.warnings) env.stdout(`warning: ${formatConfigIssue(w)}\n`);
      check(config, env);
      return 0;
    }
    case 'explain': {
      const source = openSource(config.collection);
      if (!source.ok) throw new RuntimeError(source.error);
      const text = explainProcesses(config.collection, config.namer, source.value, env.nowMs);
      if (!text.ok) throw new RuntimeError(text.error);
      env.stdout(text.value);
      return 0;
    }
    default:
      return 2;
  }
}
