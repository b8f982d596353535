/**
 * The zod schema of a `sinks:` entry as it was before the config pipeline read the sinks with its own
 * validator (src/push/sink-config.ts at cc18b30). It is the test oracle of config/sinks.ts: both must
 * accept the same inputs and give the same configs.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

import { parseByteSize, parseDurationMs } from '../../src/base/units.js';
import { sinkCommonConfig } from '../../src/config/sinks.js';
import { PUSHGATEWAY_RESERVED_HEADERS, REMOTE_WRITE_RESERVED_HEADERS } from '../../src/push/http/auth.js';
import { isValidUserLabelName } from '../../src/push/series-labels.js';
import type { PushgatewaySinkConfig, RemoteWriteSinkConfig } from '../../src/push/sink-config.js';

type CommonSinkConfig = Omit<RemoteWriteSinkConfig, 'type' | 'maxSamplesPerSend' | 'maxBytesPerSend' | 'sendMetadata' | 'queue'>;

/** A duration string (`10s`, `500ms`, `1m30s`) → milliseconds. */
const durationMs = z.string().transform((text, ctx) => {
  const r = parseDurationMs(text);
  if (r.ok) return r.value;
  ctx.addIssue({ code: 'custom', message: r.error });
  return z.NEVER;
});

/** Bytes as an integer or a string with a unit (`1MiB`) → bytes. */
const byteSize = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const r = parseByteSize(v);
  if (r.ok) return r.value;
  ctx.addIssue({ code: 'custom', message: r.error });
  return z.NEVER;
});

const httpUrl = z.string().superRefine((text, ctx) => {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a valid URL' }); // the text is not echoed: it may hold a password
    return;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'the URL must be http:// or https://' });
});

const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headers = z.record(
  z.string().regex(HEADER_NAME_RE, 'invalid HTTP header name'),
  z.string().refine((v) => !/[\r\n\0]/.test(v), 'header values may not contain CR, LF or NUL'),
);

const basicAuth = z
  .strictObject({
    username: z.string().min(1),
    /** Inline password; prefer password_file. */
    password: z.string().min(1).optional(),
    /** File holding the password (whitespace-trimmed), read at every request. */
    password_file: z.string().min(1).optional(),
  })
  .refine((b) => (b.password === undefined) !== (b.password_file === undefined), 'set exactly one of password and password_file');

const tlsConfig = z
  .strictObject({
    /** PEM CA bundle used instead of the system roots. */
    ca_file: z.string().min(1).optional(),
    /** PEM client certificate and key for mutual TLS; both or neither. */
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    /** Do not verify the server certificate. Unsafe. Default false. */
    insecure_skip_verify: z.boolean().default(false),
  })
  .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), 'cert_file and key_file go together');

const retry = z
  .strictObject({
    /** First backoff ceiling; the ceiling doubles per consecutive failure. Default 500ms. */
    min_backoff: durationMs.prefault('500ms'),
    /** Highest backoff ceiling. Default 30s. */
    max_backoff: durationMs.prefault('30s'),
    /** Retries per send (per cycle) after the first attempt; the batch then stays queued for the next cycle. Default 10. */
    max_retries: z.number().int().min(0).max(1000).default(10),
    /** Longest Retry-After honoured. Default 60s. */
    max_retry_after: durationMs.prefault('60s'),
  })
  .refine((r) => r.min_backoff > 0 && r.min_backoff <= r.max_backoff, 'need 0 < min_backoff <= max_backoff');

const queue = z.strictObject({
  /**
   * Directory of the durable queue: every batch is a file there until it is delivered, so an outage
   * survives a restart or a kill -9. Unset: the queue is in memory. One directory per sink.
   */
  dir: z.string().min(1).optional(),
  /** Batches kept while the receiver is unreachable; the oldest is dropped (and counted) beyond. Default 10000. */
  max_batches: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Uncompressed bytes kept in the queue (memory or disk). Default 64MiB. */
  max_bytes: byteSize.prefault('64MiB'),
  /**
   * Batches whose samples are older than this are dropped (and counted). Default 1h: Prometheus rejects
   * samples more than 1h behind its newest one as "out of bounds". 0: no limit.
   */
  max_age: durationMs.prefault('1h'),
});

/** Options every sink type has. */
const common = {
  /** Unique sink name for self-metrics and logs. Default `<type>:<host><path>`. */
  name: z.string().regex(/^[A-Za-z0-9_.:/-]+$/, 'use letters, digits and _ . : / -').optional(),
  url: httpUrl,
  /** Extra request headers (X-Scope-OrgID, THANOS-TENANT...). Protocol headers cannot be overridden. */
  headers: headers.default({}),
  basic_auth: basicAuth.optional(),
  /** Inline bearer token; prefer bearer_token_file. */
  bearer_token: z.string().min(1).optional(),
  /** File holding the bearer token (whitespace-trimmed), read at every request. */
  bearer_token_file: z.string().min(1).optional(),
  tls_config: tlsConfig.optional(),
  /** Per-request timeout; the request is aborted after it. Default 10s. */
  timeout: durationMs.prefault('10s'),
  /** Time budget of one send (all batches, retries and waits). Keep it below the push interval. Default 10s. */
  send_deadline: durationMs.prefault('10s'),
  retry: retry.prefault({}),
};

const remoteWriteRaw = z.strictObject({
  type: z.literal('remote_write'),
  ...common,
  /** Samples per request. Default 2000 (Prometheus' default). */
  max_samples_per_send: z.number().int().min(1).max(1_000_000).default(2000),
  /** Uncompressed protobuf bytes per request. Default 1MiB. */
  max_bytes_per_send: byteSize.prefault('1MiB'),
  /** Also send TYPE/HELP as WriteRequest.metadata (a Prometheus extension of 1.0). Default false. */
  send_metadata: z.boolean().default(false),
  queue: queue.prefault({}),
});

const pushgatewayRaw = z.strictObject({
  type: z.literal('pushgateway'),
  ...common,
  /** The `job` of the group. Default procpush. */
  job: z.string().min(1).default('procpush'),
  /** Grouping labels after job. `instance` defaults to the agent's instance label. */
  grouping: z.record(z.string(), z.string()).default({}),
  /** DELETE the group on graceful shutdown. Default false. */
  delete_on_shutdown: z.boolean().default(false),
});

type RawCommon = z.output<typeof remoteWriteRaw> | z.output<typeof pushgatewayRaw>;

function checkCommon(raw: RawCommon, ctx: z.core.$RefinementCtx): void {
  const authKinds = [raw.basic_auth, raw.bearer_token, raw.bearer_token_file].filter((v) => v !== undefined).length;
  if (authKinds > 1) {
    ctx.addIssue({ code: 'custom', message: 'set at most one of basic_auth, bearer_token and bearer_token_file', path: ['basic_auth'] });
  }
  const u = URL.canParse(raw.url) ? new URL(raw.url) : undefined;
  if (u === undefined) return; // already reported by the url field
  if ((u.username !== '' || u.password !== '') && authKinds > 0) {
    ctx.addIssue({ code: 'custom', message: 'credentials in the URL and in basic_auth/bearer_token: keep one', path: ['url'] });
  }
  const reserved = raw.type === 'remote_write' ? REMOTE_WRITE_RESERVED_HEADERS : PUSHGATEWAY_RESERVED_HEADERS;
  const hasAuth = authKinds > 0 || u.username !== '';
  for (const name of Object.keys(raw.headers)) {
    const lower = name.toLowerCase();
    if (reserved.includes(lower) || (hasAuth && lower === 'authorization')) {
      ctx.addIssue({ code: 'custom', message: `header ${name} is set by procpush and cannot be overridden`, path: ['headers', name] });
    }
  }
  if (raw.timeout <= 0 || raw.send_deadline <= 0) {
    ctx.addIssue({ code: 'custom', message: 'timeout and send_deadline must be positive', path: ['timeout'] });
  }
}

/** The common keys into the config: shared with config/sinks.ts (the oracle checks what is accepted and the rest of the mapping). */
function toCommon(raw: RawCommon): CommonSinkConfig {
  return sinkCommonConfig({ ...raw, name: raw.name, basic_auth: raw.basic_auth === undefined ? undefined : { password: undefined, password_file: undefined, ...raw.basic_auth }, bearer_token: raw.bearer_token, bearer_token_file: raw.bearer_token_file, tls_config: raw.tls_config === undefined ? undefined : { ca_file: undefined, cert_file: undefined, key_file: undefined, ...raw.tls_config } });
}

const remoteWrite = remoteWriteRaw.superRefine(checkCommon).transform(
  (raw): RemoteWriteSinkConfig => ({
    type: 'remote_write',
    ...toCommon(raw),
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

const pushgateway = pushgatewayRaw
  .superRefine(checkCommon)
  .superRefine((raw, ctx) => {
    for (const name of Object.keys(raw.grouping)) {
      if (!isValidUserLabelName(name) || name === 'job') {
        ctx.addIssue({
          code: 'custom',
          message: `grouping label "${name}" is invalid: it must match [a-zA-Z_][a-zA-Z0-9_]*, not start with "__" and not be job`,
          path: ['grouping', name],
        });
      }
    }
  })
  .transform(
    (raw): PushgatewaySinkConfig => ({
      type: 'pushgateway',
      ...toCommon(raw),
      job: raw.job,
      grouping: Object.entries(raw.grouping).map(([name, value]) => ({ name, value })),
      deleteOnShutdown: raw.delete_on_shutdown,
    }),
  );

/** One `sinks:` entry. Input: the YAML shape; output: SinkConfig. */
export const zodSinkSchema = z.discriminatedUnion('type', [remoteWrite, pushgateway]);

/** The `sinks:` list: names must be unique (they label the self-metrics), and so must queue directories. */
export const zodSinksSchema = z.array(zodSinkSchema).superRefine((sinks, ctx) => {
  const seen = new Set<string>();
  const dirs = new Set<string>();
  sinks.forEach((s, i) => {
    if (seen.has(s.name)) ctx.addIssue({ code: 'custom', message: `sink name "${s.name}" is used twice; set name:`, path: [i, 'name'] });
    seen.add(s.name);
    if (s.type !== 'remote_write' || s.queue.dir === undefined) return;
    const dir = resolve(s.queue.dir);
    if (dirs.has(dir)) ctx.addIssue({ code: 'custom', message: `queue directory ${s.queue.dir} is used by another sink; each sink needs its own`, path: [i, 'queue', 'dir'] });
    dirs.add(dir);
  });
});

