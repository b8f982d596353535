/**
 * Request headers of a sink: user headers, credentials (read from their files at every request, so a
 * rotated token is picked up without a restart) and the protocol's reserved headers, which always win.
 * Pure apart from the injected file reader.
 */

import { err, ok, type Result } from '../../base/result.js';

/** A secret given inline in the config or as a file path (the file's content, whitespace-trimmed). */
export type SecretSource = { readonly inline: string } | { readonly file: string };

export type AuthConfig =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly username: string; readonly password: SecretSource }
  | { readonly kind: 'bearer'; readonly token: SecretSource };

/** Reads a small text file; the error says which file, never what it holds. */
export type ReadTextFile = (path: string) => Result<string, string>;

export interface ResolvedAuth {
  /** The Authorization header value, if any. */
  readonly authorization?: string;
  /** Strings that must never appear in logs (password, token, encoded credentials). */
  readonly secrets: readonly string[];
}

export function resolveAuth(auth: AuthConfig, readTextFile: ReadTextFile): Result<ResolvedAuth, string> {
  switch (auth.kind) {
    case 'none':
      return ok({ secrets: [] });
    case 'basic': {
      const password = readSecret(auth.password, 'basic_auth.password_file', readTextFile);
      if (!password.ok) return password;
      const encoded = Buffer.from(`${auth.username}:${password.value}`, 'utf8').toString('base64');
      return ok({ authorization: `Basic ${encoded}`, secrets: [password.value, encoded] });
    }
    case 'bearer': {
      const token = readSecret(auth.token, 'bearer_token_file', readTextFile);
      if (!token.ok) return token;
      return ok({ authorization: `Bearer ${token.value}`, secrets: [token.value] });
    }
  }
}

function readSecret(source: SecretSource, what: string, readTextFile: ReadTextFile): Result<string, string> {
  if ('inline' in source) return ok(source.inline);
  const text = readTextFile(source.file);
  if (!text.ok) return err(`cannot read ${what}: ${text.error}`);
  const value = text.value.trim();
  if (value === '') return err(`${what} "${source.file}" is empty`);
  return ok(value);
}

/** Header names (lower case) a user may not set for a given protocol. */
export const REMOTE_WRITE_RESERVED_HEADERS: readonly string[] = [
  'content-encoding',
  'content-type',
  'x-prometheus-remote-write-version',
  'user-agent',
  'content-length',
  'host',
  'retry-attempt',
  'transfer-encoding',
];
export const PUSHGATEWAY_RESERVED_HEADERS: readonly string[] = [
  'content-encoding',
  'content-type',
  'user-agent',
  'content-length',
  'host',
  'transfer-encoding',
];

/** User header names that carry secrets by convention; their values are redacted from logs. */
const SECRET_HEADER_RE = /authorization|token|secret|key|password|cookie/i;

export function secretHeaderValues(headers: Readonly<Record<string, string>>): string[] {
  return Object.entries(headers)
    .filter(([name]) => SECRET_HEADER_RE.test(name))
    .map(([, value]) => value);
}

/**
 * Final headers: user headers first, then Authorization (when configured), then the reserved headers.
 * A user header whose name (any case) is reserved, or is Authorization while credentials are
 * configured, is dropped, so it can never override them.
 */
export function mergeHeaders(input: {
  readonly user: Readonly<Record<string, string>>;
  readonly authorization?: string;
  readonly reserved: Readonly<Record<string, string>>;
  /** Further names (lower case) the user may not set, e.g. Content-Type set per batch. */
  readonly reservedNames?: readonly string[];
}): Record<string, string> {
  const reservedNames = new Set([...Object.keys(input.reserved), ...(input.reservedNames ?? [])].map((n) => n.toLowerCase()));
  if (input.authorization !== undefined) reservedNames.add('authorization');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.user)) {
    if (!reservedNames.has(name.toLowerCase())) out[name] = value;
  }
  if (input.authorization !== undefined) out['Authorization'] = input.authorization;
  for (const [name, value] of Object.entries(input.reserved)) out[name] = value;
  return out;
}
