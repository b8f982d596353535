/** Builds a Sink from its parsed config. Fails (as a value) on unreadable TLS files or a broken .proto. */

import { err, ok, type Result } from '../base/result.js';
import type { SinkDeps } from './deps.js';
import type { AuthConfig } from './http/auth.js';
import type { TlsOptions } from './http/node-transport.js';
import { createPushgatewaySink } from './pushgateway/pushgateway-sink.js';
import { redactUrl } from './redact.js';
import { loadRemoteWriteWire } from './remote-write/proto-schema.js';
import { createRemoteWriteSink } from './remote-write/remote-write-sink.js';
import type { SinkConfig, TlsFiles } from './sink-config.js';
import type { Sink } from './types.js';

export function createSink(config: SinkConfig, deps: SinkDeps): Result<Sink, string> {
  const where = `sink ${config.name} (${redactUrl(config.url)})`;
  const split = splitUserinfo(config.url, config.auth);
  if (!split.ok) return err(`${where}: ${split.error}`);
  const tls = readTls(config.tls, deps);
  if (!tls.ok) return err(`${where}: ${tls.error}`);
  const common = {
    name: config.name,
    url: split.value.url,
    userHeaders: config.headers,
    auth: split.value.auth,
    timeoutMs: config.timeoutMs,
    sendDeadlineMs: config.sendDeadlineMs,
    retry: config.retry,
  };
  const runtime = {
    clock: deps.clock,
    sleep: deps.sleep,
    random: deps.random,
    logger: deps.logger,
    readTextFile: deps.readTextFile,
    version: deps.version,
  };
  switch (config.type) {
    case 'remote_write': {
      const wire = loadRemoteWriteWire(deps.protoDir);
      if (!wire.ok) return err(`${where}: ${wire.error}`);
      if (config.queue.dir !== undefined && deps.queueFs === undefined) return err(`${where}: queue.dir is set but no file access was provided`);
      return ok(
        createRemoteWriteSink(
          {
            ...common,
            maxSamplesPerSend: config.maxSamplesPerSend,
            maxBytesPerSend: config.maxBytesPerSend,
            sendMetadata: config.sendMetadata,
            queue: config.queue,
          },
          {
            ...runtime,
            wire: wire.value,
            transport: deps.createTransport(tls.value),
            ...(deps.queueFs !== undefined ? { queueFs: deps.queueFs } : {}),
          },
        ),
      );
    }
    case 'pushgateway':
      return ok(
        createPushgatewaySink(
          { ...common, job: config.job, grouping: config.grouping, deleteOnShutdown: config.deleteOnShutdown },
          { ...runtime, transport: deps.createTransport(tls.value) },
        ),
      );
  }
}

/** Moves `user:password@` out of the URL into basic auth, so the URL can be logged and never carries it. */
function splitUserinfo(text: string, auth: AuthConfig): Result<{ url: URL; auth: AuthConfig }, string> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return err('invalid URL');
  }
  if (url.username === '' && url.password === '') return ok({ url, auth });
  if (auth.kind !== 'none') return err('credentials both in the URL and in the auth settings');
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return err('invalid percent-encoding in the URL credentials');
  }
  url.username = '';
  url.password = '';
  return ok({ url, auth: { kind: 'basic', username, password: { inline: password } } });
}

function readTls(files: TlsFiles | undefined, deps: SinkDeps): Result<TlsOptions | undefined, string> {
  if (files === undefined) return ok(undefined);
  const read = (path: string | undefined, what: string): Result<Buffer | undefined, string> => {
    if (path === undefined) return ok(undefined);
    const r = deps.readBinaryFile(path);
    return r.ok ? r : err(`cannot read tls_config.${what}: ${r.error}`);
  };
  const ca = read(files.caFile, 'ca_file');
  if (!ca.ok) return ca;
  const cert = read(files.certFile, 'cert_file');
  if (!cert.ok) return cert;
  const key = read(files.keyFile, 'key_file');
  if (!key.ok) return key;
  return ok({
    insecureSkipVerify: files.insecureSkipVerify,
    ...(ca.value !== undefined ? { ca: ca.value } : {}),
    ...(cert.value !== undefined ? { cert: cert.value } : {}),
    ...(key.value !== undefined ? { key: key.value } : {}),
  });
}
