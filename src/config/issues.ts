/** A problem with the configuration, located in its file (or without a file: a command-line problem). */
export interface ConfigIssue {
  /** The config file; "" for a problem of the command line. */
  readonly file: string;
  /** 1-based; 0 when the problem has no position (e.g. the file could not be read). */
  readonly line: number;
  readonly column: number;
  /** Path of the offending value, e.g. `process_names[2].cmdline[0]`; "" for the whole file. */
  readonly field: string;
  readonly message: string;
}

/** `config.yaml:7:9: process_names[2].cmdline[0]: bad cmdline regex …`. */
export function formatConfigIssue(i: ConfigIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  const head = where === '' ? '' : `${where}: `;
  return i.field === '' ? `${head}${i.message}` : `${head}${i.field}: ${i.message}`;
}

/** `sinks[0].retry.max_backoff`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** Issues in file order (line, then column); stable for issues at the same place. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

/** A problem of the command line (no file, no position). */
export function commandLineIssue(message: string): ConfigIssue {
  return { file: '', line: 0, column: 0, field: '', message };
}
