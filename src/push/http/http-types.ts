/** The HTTP seam of the sinks: a request in, a tagged result out, never an exception. Types only. */

export type HttpMethod = 'POST' | 'PUT' | 'DELETE';

export interface HttpRequest {
  readonly method: HttpMethod;
  /** Without userinfo: credentials travel in headers only. */
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  /** The whole exchange (connect, send, response body) is aborted after this long. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export type HttpResult =
  | {
      readonly kind: 'response';
      readonly status: number;
      /** Lower-case header names. */
      readonly headers: ReadonlyMap<string, string>;
      /** The response body, decoded as UTF-8, cut at the transport's byte cap. */
      readonly body: string;
      readonly bodyTruncated: boolean;
    }
  | {
      readonly kind: 'network-error';
      readonly message: string;
      /** errno-style code (`ECONNREFUSED`, `ECONNRESET`, `CERT_HAS_EXPIRED`...), when known. */
      readonly code?: string;
      /** False only when the request cannot have reached the server (connection refused, DNS failure). */
      readonly mayHaveReachedServer: boolean;
    }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | { readonly kind: 'aborted' };

/** Sends one request. Implementations never throw and never reject. */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResult>;
