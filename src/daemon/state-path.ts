/**
 * Where `procpush run` keeps its state when the config does not say: `$STATE_DIRECTORY` (systemd's
 * StateDirectory=), else /var/lib/procpush when this user may write there, else the user's XDG state
 * directory (`$XDG_STATE_HOME/procpush`, default `~/.local/state/procpush`). Pure: the probes are given.
 */

import { isAbsolute, join, resolve } from 'node:path';

export const STATE_FILE_NAME = 'procpush.state';
export const SYSTEM_STATE_DIR = '/var/lib/procpush';

export interface StatePathInput {
  /** `state_file` as written in the config; undefined when absent. */
  readonly configured: string | undefined;
  /** Directory of the config file, against which a relative `state_file` is resolved. */
  readonly configDir: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  /** Whether this process may create files in `dir` (or create `dir` itself). */
  readonly writable: (dir: string) => boolean;
}

export type StatePathSource = 'state_file' | 'STATE_DIRECTORY' | 'system' | 'XDG_STATE_HOME' | 'home';

export interface ResolvedStatePath {
  /** undefined: no state (`state_file: ""`). */
  readonly path: string | undefined;
  readonly source: StatePathSource;
}

export function resolveStatePath(input: StatePathInput): ResolvedStatePath {
  const { configured, env } = input;
  if (configured !== undefined) {
    if (configured === '') return { path: undefined, source: 'state_file' };
    const path = isAbsolute(configured) || input.configDir === undefined ? configured : resolve(input.configDir, configured);
    return { path, source: 'state_file' };
  }
  // StateDirectory= exports STATE_DIRECTORY (several directories are separated by ':').
  const stateDirectory = env['STATE_DIRECTORY']?.split(':')[0];
  if (stateDirectory !== undefined && stateDirectory !== '') return { path: join(stateDirectory, STATE_FILE_NAME), source: 'STATE_DIRECTORY' };
  if (input.writable(SYSTEM_STATE_DIR)) return { path: join(SYSTEM_STATE_DIR, STATE_FILE_NAME), source: 'system' };
  const xdg = env['XDG_STATE_HOME'];
  // The XDG spec: a relative path is invalid and ignored.
  if (xdg !== undefined && isAbsolute(xdg)) return { path: join(xdg, 'procpush', STATE_FILE_NAME), source: 'XDG_STATE_HOME' };
  return { path: join(input.homeDir, '.local', 'state', 'procpush', STATE_FILE_NAME), source: 'home' };
}
