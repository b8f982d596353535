/**
 * The `sinks:` section: one entry per sink, with defaults, units and cross-key rules. The result is
 * already in the shape the sink factory needs (milliseconds, bytes, AuthConfig): push/sink-config.ts.
 * Knows nothing of files: secret and TLS files are only named here (the agent's setup reads them).
 */
import { resolve } from 'node:path';
import { parseByteSize, parseDurationMs } from '../base/units.js';
import { PUSHGATEWAY_RESERVED_HEADERS, REMOTE_WRITE_RESERVED_HEADERS, type AuthConfig } from '../push/http/auth.js';
import { isValidUserLabelName } from '../push/series-labels.js';
import type { PushgatewaySinkConfig, RemoteWriteSinkConfig, SinkConfig } from '../push/sink-config.js';
import { fromPlain, type DocNode } from './document.js';
import type { ConfigIssue } from './issues.js';
import { err, ok, type Result } from '../base/result.js';
import {
  boolean,
  convert,
  EMPTY_MAP,
  expected,
  INVALID,
  integer,
  leaf,
  list,
  literal,
  object,
  optional,
  Reader,
  record,
  required,
  string,
  tagged,
  withDefault,
  withDefaultInput,
  type Schema,
} from './schema.js';

/** A duration string (`10s`, `500ms`, `1m30s`) → milliseconds. */
const durationMs = convert(string(), parseDurationMs);

/** Bytes as an integer or a string with a unit (`1MiB`) → bytes. */
const byteSize: Schema<number> = leaf('number', (node, path, r) => {
  if (node.kind !== 'scalar' || (typeof node.value !== 'number' && typeof node.value !== 'string')) return r.report(path, expected('number | string', node));
  const b = parseByteSize(node.value);
  return b.ok ? b.value : r.report(path, b.error);
});

const httpUrl = string({
  check: (text) => {
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      return 'not a valid URL'; // the text is not echoed: it may hold a password
    }
    return u.protocol !== 'http:' && u.protocol !== 'https:' ? 'the URL must be http:// or https://' : undefined;
  },
});

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headers = record(string({ check: (v) => (/[\r\n\0]/.test(v) ? 'header values may not contain CR, LF or NUL' : undefined) }), (k) => (HEADER_NAME_RE.test(k) ? undefined : 'invalid HTTP header name'));

const nonEmpty = string({ min: 1 });

const basicAuth = object(
  {
    username: required(nonEmpty),
    /** Inline password; prefer password_file. */
    password: optional(nonEmpty),
    /** File holding the password (whitespace-trimmed), read at every request. */
    password_file: optional(nonEmpty),
  },
  {
    check: (b, report) => {
      if ((b.password === undefined) === (b.password_file === undefined)) report([], 'set exactly one of password and password_file');
    },
  },
);

const tlsConfig = object(
  {
    /** PEM CA bundle used instead of the system roots. */
    ca_file: optional(nonEmpty),
    /** PEM client certificate and key for mutual TLS; both or neither. */
    cert_file: optional(nonEmpty),
    key_file: optional(nonEmpty),
    /** Do not verify the server certificate. Unsafe. Default false. */
    insecure_skip_verify: withDefault(boolean, false),
  },
  {
    check: (t, report) => {
      if ((t.cert_file === undefined) !== (t.key_file === undefined)) report([], 'cert_file and key_file go together');
    },
  },
);

const retry = object(
  {
    /** First backoff ceiling; the ceiling doubles per consecutive failure. Default 500ms. */
    min_backoff: withDefault(durationMs, 500),
    /** Highest backoff ceiling. Default 30s. */
    max_backoff: withDefault(durationMs, 30_000),
    /** Retries per send (per cycle) after the first attempt; the batch then stays queued for the next cycle. Default 10. */
    max_retries: withDefault(integer({ min: 0, max: 1000 }), 10),
    /** Longest Retry-After honoured. Default 60s. */
    max_retry_after: withDefault(durationMs, 60_000),
  },
  {
    check: (r, report) => {
      if (!(r.min_backoff > 0 && r.min_backoff <= r.max_backoff)) report([], 'need 0 < min_backoff <= max_backoff');
    },
  },
);

const queue = object({
  /**
   * Directory of the durable queue: every batch is a file there until it is delivered, so an outage
   * survives a restart or a kill -9. Unset: the queue is in memory. One directory per sink.
   */
  dir: optional(nonEmpty),
  /** Batches kept while the receiver is unreachable; the oldest is dropped (and counted) beyond. Default 10000. */
  max_batches: withDefault(integer({ min: 1, max: 1_000_000 }), 10_000),
  /** Uncompressed bytes kept in the queue (memory or disk). Default 64MiB. */
  max_bytes: withDefault(byteSize, 64 * 1024 * 1024),
  /**
   * Batches whose samples are older than this are dropped (and counted). Default 1h: Prometheus rejects
   * samples more than 1h behind its newest one as "out of bounds". 0: no limit.
   */
  max_age: withDefault(durationMs, 3_600_000),
});

/** Options every sink type has. */
const common = {
  /** Unique sink name for self-metrics and logs. Default `<type>:<host><path>`. */
  name: optional(string({ pattern: [/^[A-Za-z0-9_.:/-]+$/, 'use letters, digits and _ . : / -'] })),
  url: required(httpUrl),
  /** Extra request headers (X-Scope-OrgID, THANOS-TENANT...). Protocol headers cannot be overridden. */
  headers: withDefault(headers, {}),
  basic_auth: optional(basicAuth),
  /** Inline bearer token; prefer bearer_token_file. */
  bearer_token: optional(nonEmpty),
  /** File holding the bearer token (whitespace-trimmed), read at every request. */
  bearer_token_file: optional(nonEmpty),
  tls_config: optional(tlsConfig),
  /** Per-request timeout; the request is aborted after it. Default 10s. */
  timeout: withDefault(durationMs, 10_000),
  /** Time budget of one send (all batches, retries and waits). Keep it below the push interval. Default 10s. */
  send_deadline: withDefault(durationMs, 10_000),
  retry: withDefaultInput(retry, EMPTY_MAP),
};

/** The keys every sink type has, as read (durations in ms). */
export interface RawCommon {
  readonly type: 'remote_write' | 'pushgateway';
  readonly name: string | undefined;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly basic_auth: { readonly username: string; readonly password: string | undefined; readonly password_file: string | undefined } | undefined;
  readonly bearer_token: string | undefined;
  readonly bearer_token_file: string | undefined;
  readonly tls_config: { readonly ca_file: string | undefined; readonly cert_file: string | undefined; readonly key_file: string | undefined; readonly insecure_skip_verify: boolean } | undefined;
  readonly timeout: number;
  readonly send_deadline: number;
  readonly retry: { readonly min_backoff: number; readonly max_backoff: number; readonly max_retries: number; readonly max_retry_after: number };
}

function checkCommon(raw: RawCommon, report: (path: readonly (string | number)[], message: string) => void): void {
  const authKinds = [raw.basic_auth, raw.bearer_token, raw.bearer_token_file].filter((v) => v !== undefined).length;
  if (authKinds > 1) report(['basic_auth'], 'set at most one of basic_auth, bearer_token and bearer_token_file');
  const u = URL.canParse(raw.url) ? new URL(raw.url) : undefined;
  if (u === undefined) return; // already reported by the url key
  if ((u.username !== '' || u.password !== '') && authKinds > 0) report(['url'], 'credentials in the URL and in basic_auth/bearer_token: keep one');
  const reserved = raw.type === 'remote_write' ? REMOTE_WRITE_RESERVED_HEADERS : PUSHGATEWAY_RESERVED_HEADERS;
  const hasAuth = authKinds > 0 || u.username !== '';
  for (const name of Object.keys(raw.headers)) {
    const lower = name.toLowerCase();
    if (reserved.includes(lower) || (hasAuth && lower === 'authorization')) report(['headers', name], `header ${name} is set by procpush and cannot be overridden`);
  }
  if (raw.timeout <= 0 || raw.send_deadline <= 0) report(['timeout'], 'timeout and send_deadline must be positive');
}

/** The common keys of a sink entry into the config the factory takes. */
export function sinkCommonConfig(raw: RawCommon): Omit<RemoteWriteSinkConfig, 'type' | 'maxSamplesPerSend' | 'maxBytesPerSend' | 'sendMetadata' | 'queue'> {
  const u = new URL(raw.url); // checked by the url key
  const auth: AuthConfig =
    raw.basic_auth !== undefined
      ? {
          kind: 'basic',
          username: raw.basic_auth.username,
          password: raw.basic_auth.password_file !== undefined ? { file: raw.basic_auth.password_file } : { inline: raw.basic_auth.password ?? '' },
        }
      : raw.bearer_token !== undefined
        ? { kind: 'bearer', token: { inline: raw.bearer_token } }
        : raw.bearer_token_file !== undefined
          ? { kind: 'bearer', token: { file: raw.bearer_token_file } }
          : { kind: 'none' };
  const tls = raw.tls_config;
  return {
    name: raw.name ?? `${raw.type}:${u.host}${u.pathname.replace(/\/+$/, '')}`,
    url: raw.url,
    headers: raw.headers,
    auth,
    ...(tls !== undefined
      ? {
          tls: {
            insecureSkipVerify: tls.insecure_skip_verify,
            ...(tls.ca_file !== undefined ? { caFile: tls.ca_file } : {}),
            ...(tls.cert_file !== undefined ? { certFile: tls.cert_file } : {}),
            ...(tls.key_file !== undefined ? { keyFile: tls.key_file } : {}),
          },
        }
      : {}),
    timeoutMs: raw.timeout,
    sendDeadlineMs: raw.send_deadline,
    retry: { minBackoffMs: raw.retry.min_backoff, maxBackoffMs: raw.retry.max_backoff, maxRetries: raw.retry.max_retries, maxRetryAfterMs: raw.retry.max_retry_after },
  };
}

/** `schema` with its value converted (every value the schema accepts converts). */
function mapped<A, B>(schema: Schema<A>, f: (a: A) => B): Schema<B> {
  return convert(schema, (a) => ok(f(a)));
}

const remoteWrite = mapped(
  object(
    {
      type: required(literal('remote_write')),
      ...common,
      /** Samples per request. Default 2000 (Prometheus' default). */
      max_samples_per_send: withDefault(integer({ min: 1, max: 1_000_000 }), 2000),
      /** Uncompressed protobuf bytes per request. Default 1MiB. */
      max_bytes_per_send: withDefault(byteSize, 1024 * 1024),
      /** Also send TYPE/HELP as WriteRequest.metadata (a Prometheus extension of 1.0). Default false. */
      send_metadata: withDefault(boolean, false),
      queue: withDefaultInput(queue, EMPTY_MAP),
    },
    { check: checkCommon },
  ),
  (raw): RemoteWriteSinkConfig => ({
    type: 'remote_write',
    ...sinkCommonConfig(raw),
    maxSamplesPerSend: raw.max_samples_per_send,
    maxBytesPerSend: raw.max_bytes_per_send,
    sendMetadata: raw.send_metadata,
    queue: {
      maxBatches: raw.queue.max_batches,
      maxBytes: raw.queue.max_bytes,
      maxAgeMs: raw.queue.max_age === 0 ? Number.POSITIVE_INFINITY : raw.queue.max_age,
      ...(raw.queue.dir !== undefined ? { dir: raw.queue.dir } : {}),
    },
  }),
);

const pushgateway = mapped(
  object(
    {
      type: required(literal('pushgateway')),
      ...common,
      /** The `job` of the group. Default procpush. */
      job: withDefault(nonEmpty, 'procpush'),
      /** Grouping labels after job. `instance` defaults to the agent's instance label. */
      grouping: withDefault(record(string()), {}),
      /** DELETE the group on graceful shutdown. Default false. */
      delete_on_shutdown: withDefault(boolean, false),
    },
    {
      check: (raw, report) => {
        checkCommon(raw, report);
        for (const name of Object.keys(raw.grouping)) {
          if (!isValidUserLabelName(name) || name === 'job') {
            report(['grouping', name], `grouping label "${name}" is invalid: it must match [a-zA-Z_][a-zA-Z0-9_]*, not start with "__" and not be job`);
          }
        }
      },
    },
  ),
  (raw): PushgatewaySinkConfig => ({
    type: 'pushgateway',
    ...sinkCommonConfig(raw),
    job: raw.job,
    grouping: Object.entries(raw.grouping).map(([name, value]) => ({ name, value })),
    deleteOnShutdown: raw.delete_on_shutdown,
  }),
);

/** One `sinks:` entry. */
export const sinkSchema: Schema<SinkConfig> = tagged<SinkConfig>('type', { remote_write: remoteWrite, pushgateway });

/** The `sinks:` list: names must be unique (they label the self-metrics), and so must queue directories. */
export const sinksSchema: Schema<SinkConfig[]> = (() => {
  const items = list(sinkSchema);
  return {
    ...items,
    read: (node, path, r) => {
      const sinks = items.read(node, path, r);
      if (sinks === INVALID) return INVALID;
      const seen = new Set<string>();
      const dirs = new Set<string>();
      const before = r.problems.length;
      sinks.forEach((s, i) => {
        if (seen.has(s.name)) r.report([...path, i, 'name'], `sink name "${s.name}" is used twice; set name:`);
        seen.add(s.name);
        if (s.type !== 'remote_write' || s.queue.dir === undefined) return;
        const dir = resolve(s.queue.dir);
        if (dirs.has(dir)) r.report([...path, i, 'queue', 'dir'], `queue directory ${s.queue.dir} is used by another sink; each sink needs its own`);
        dirs.add(dir);
      });
      return r.problems.length === before ? sinks : INVALID;
    },
  };
})();

/** One sink's config from plain data (as YAML would give it); problems as `field: message` issues without a file. */
export function parseSinkConfig(input: unknown): Result<SinkConfig, ConfigIssue[]> {
  return readPlain(sinkSchema, fromPlain(input));
}

/** The `sinks:` list from plain data. */
export function parseSinksConfig(input: unknown): Result<SinkConfig[], ConfigIssue[]> {
  return readPlain(sinksSchema, fromPlain(input));
}

function readPlain<T>(schema: Schema<T>, node: DocNode): Result<T, ConfigIssue[]> {
  const r = new Reader();
  const v = schema.read(node, [], r);
  return v === INVALID ? err(r.issues('', node)) : ok(v);
}
