/**
 * A sink's validated config, in the shape the factory needs (milliseconds, bytes, AuthConfig). The
 * `sinks:` section of the config file is read into it by config/sinks.ts.
 */

import { createHash } from 'node:crypto';
import { join } from 'node:path';

import type { Label } from '../series/types.js';
import type { RetryOptions } from './delivery-queue.js';
import type { AuthConfig } from './http/auth.js';
import type { RemoteWriteQueueOptions } from './remote-write/remote-write-sink.js';

export interface TlsFiles {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly insecureSkipVerify: boolean;
}

interface CommonSinkConfig {
  readonly name: string;
  /** May contain userinfo; the factory moves it into basic auth. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: AuthConfig;
  readonly tls?: TlsFiles;
  readonly timeoutMs: number;
  readonly sendDeadlineMs: number;
  readonly retry: RetryOptions;
}

export interface RemoteWriteSinkConfig extends CommonSinkConfig {
  readonly type: 'remote_write';
  readonly maxSamplesPerSend: number;
  readonly maxBytesPerSend: number;
  readonly sendMetadata: boolean;
  readonly queue: RemoteWriteQueueOptions;
}

export interface PushgatewaySinkConfig extends CommonSinkConfig {
  readonly type: 'pushgateway';
  readonly job: string;
  readonly grouping: readonly Label[];
  readonly deleteOnShutdown: boolean;
}

/** A parsed, validated sink config. */
export type SinkConfig = RemoteWriteSinkConfig | PushgatewaySinkConfig;

/**
 * The queue directory a one-shot run (`procpush once --state <file>`) gives a remote-write sink that
 * has none: `<file>.queue/<sink name>`, so a push that fails is kept and sent first by the next run.
 * The name is made a safe single path segment; when that changed it, a hash of the name keeps it unique.
 */
export function defaultQueueDir(statePath: string, sinkName: string): string {
  let segment = sinkName.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (segment !== sinkName || segment.startsWith('.')) {
    segment = `${segment.replace(/^\./, '_')}-${createHash('sha256').update(sinkName).digest('hex').slice(0, 8)}`;
  }
  return join(`${statePath}.queue`, segment);
}

/** `config` with `queue.dir` defaulted for a one-shot run (see defaultQueueDir); other sinks unchanged. */
export function withOnceQueueDir(config: SinkConfig, statePath: string): SinkConfig {
  if (config.type !== 'remote_write' || config.queue.dir !== undefined) return config;
  return { ...config, queue: { ...config.queue, dir: defaultQueueDir(statePath, config.name) } };
}
