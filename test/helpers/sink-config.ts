/** Sink configs in tests, written as in the YAML file and read by the config pipeline's sink schema. */
import { formatConfigIssue } from '../../src/config/issues.js';
import { parseSinkConfig } from '../../src/config/sinks.js';
import type { SinkConfig } from '../../src/push/sink-config.js';

/** One `sinks:` entry as written in the config file. */
export interface SinkConfigInput {
  readonly type: 'remote_write' | 'pushgateway';
  readonly url: string;
  readonly name?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly basic_auth?: { readonly username: string; readonly password?: string; readonly password_file?: string };
  readonly bearer_token?: string;
  readonly bearer_token_file?: string;
  readonly tls_config?: { readonly ca_file?: string; readonly cert_file?: string; readonly key_file?: string; readonly insecure_skip_verify?: boolean };
  readonly timeout?: string;
  readonly send_deadline?: string;
  readonly retry?: { readonly min_backoff?: string; readonly max_backoff?: string; readonly max_retries?: number; readonly max_retry_after?: string };
  readonly max_samples_per_send?: number;
  readonly max_bytes_per_send?: number | string;
  readonly send_metadata?: boolean;
  readonly queue?: { readonly dir?: string; readonly max_batches?: number; readonly max_bytes?: number | string; readonly max_age?: string };
  readonly job?: string;
  readonly grouping?: Readonly<Record<string, string>>;
  readonly delete_on_shutdown?: boolean;
}

/** The validated config of one sink; throws with the config issues when the input is invalid. */
export function sinkConfig(input: unknown): SinkConfig {
  const r = parseSinkConfig(input);
  if (!r.ok) throw new Error(`invalid sink config: ${r.error.map(formatConfigIssue).join('; ')}`);
  return r.value;
}
