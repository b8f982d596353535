/**
 * HttpTransport over node:http / node:https. This is the only push module that opens sockets or sets
 * timers. Each sink gets its own transport (own keep-alive agents), so a hung receiver only ties up
 * the sockets of its own sink.
 *
 * Why not global fetch: TLS options (custom CA, client certificate, insecure_skip_verify) need an
 * undici Dispatcher, and undici is not importable as a module on Node 20 without installing it.
 * node:https takes them directly on an Agent.
 */

import * as http from 'node:http';
import * as https from 'node:https';

import { describeError, errnoCode } from '../../base/result.js';
import type { HttpRequest, HttpResult, HttpTransport } from './http-types.js';

export interface TlsOptions {
  /** PEM CA bundle replacing the system roots. */
  readonly ca?: Buffer;
  /** PEM client certificate and key (mutual TLS). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Skip server certificate verification. Unsafe; for tests and self-signed labs only. */
  readonly insecureSkipVerify: boolean;
}

export interface NodeTransportOptions {
  readonly tls?: TlsOptions;
  /** Bytes of a response body kept; the rest is not read (the connection is then closed). Default 64 KiB. */
  readonly maxResponseBodyBytes?: number;
}

export interface NodeTransport {
  readonly request: HttpTransport;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

/** Errors raised before any byte can have reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export function createNodeTransport(options: NodeTransportOptions = {}): NodeTransport {
  const maxBody = options.maxResponseBodyBytes ?? 64 * 1024;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const tls = options.tls;
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 2,
    rejectUnauthorized: tls?.insecureSkipVerify !== true,
    ...(tls?.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls?.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls?.key !== undefined ? { key: tls.key } : {}),
  });

  const request: HttpTransport = (req: HttpRequest) =>
    new Promise<HttpResult>((resolve) => {
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (result: HttpResult): void => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        req.signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const isHttps = req.url.protocol === 'https:';
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined) headers['Content-Length'] = String(req.body.byteLength);
      let clientRequest: http.ClientRequest;
      try {
        clientRequest = (isHttps ? https : http).request(req.url, {
          method: req.method,
          headers,
          agent: isHttps ? httpsAgent : httpAgent,
        });
      } catch (e) {
        // Synchronous failures: invalid header characters, unsupported protocol.
        finish({ kind: 'network-error', message: describeError(e), mayHaveReachedServer: false, ...codeOf(e) });
        return;
      }
      const onAbort = (): void => {
        finish({ kind: 'aborted' });
        clientRequest.destroy();
      };
      if (req.signal?.aborted === true) {
        onAbort();
        return;
      }
      req.signal?.addEventListener('abort', onAbort, { once: true });
      timers.push(
        setTimeout(() => {
          finish({ kind: 'timeout', timeoutMs: req.timeoutMs });
          clientRequest.destroy();
        }, Math.max(1, req.timeoutMs)),
      );

      clientRequest.on('error', (e: unknown) => {
        const code = errnoCode(e);
        finish({
          kind: 'network-error',
          message: describeError(e),
          mayHaveReachedServer: code === undefined || !NOT_SENT_CODES.has(code),
          ...(code !== undefined ? { code } : {}),
        });
      });
      clientRequest.on('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const respond = (bodyTruncated: boolean): void => {
          const responseHeaders = new Map<string, string>();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          finish({
            kind: 'response',
            status: res.statusCode ?? 0,
            headers: responseHeaders,
            body: Buffer.concat(chunks).toString('utf8'),
            bodyTruncated,
          });
        };
        res.on('data', (chunk: Buffer) => {
          const room = maxBody - kept;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            kept = maxBody;
            respond(true);
            res.destroy();
            return;
          }
          chunks.push(chunk);
          kept += chunk.length;
        });
        res.on('end', () => {
          respond(false);
        });
        res.on('error', (e: unknown) => {
          finish({ kind: 'network-error', message: describeError(e), mayHaveReachedServer: true, ...codeOf(e) });
        });
      });
      clientRequest.end(req.body === undefined ? undefined : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength));
    });

  return {
    request,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function codeOf(e: unknown): { code?: string } {
  const code = errnoCode(e);
  return code === undefined ? {} : { code };
}
