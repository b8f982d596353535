/**
 * Pushgateway group URL: `{base}/metrics/job@base64/<job>{/<name>@base64/<value>}`. Pure.
 *
 * Every value (the job too) is base64url-encoded (RFC 4648 §5, no padding), whatever it holds: a raw
 * `/` or `%2F` makes Go's ServeMux answer 301 and store nothing, and an empty segment may be stripped
 * by proxies. An empty value is written as `=` so the segment is never empty (push-protocols.md §1.2).
 */

import { err, ok, type Result } from '../../base/result.js';
import type { Label } from '../../series/types.js';
import { isValidUserLabelName } from '../series-labels.js';

export function encodeGroupingValue(value: string): string {
  const encoded = Buffer.from(value, 'utf8').toString('base64url');
  return encoded === '' ? '=' : encoded;
}

/**
 * Builds the group URL. `grouping` holds the labels after the job; they are written sorted by name
 * (the gateway sorts them too, so the order does not change the group, but a stable URL is easier to
 * read in logs). The base URL's own path is kept as a prefix (`--web.route-prefix`); its query string is kept.
 */
export function buildPushgatewayUrl(base: URL, job: string, grouping: readonly Label[]): Result<URL, string> {
  if (job === '') return err('the Pushgateway job must not be empty');
  const seen = new Set<string>(['job']);
  for (const { name } of grouping) {
    if (!isValidUserLabelName(name)) {
      return err(`grouping label name "${name}" is invalid: it must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__"`);
    }
    if (seen.has(name)) return err(`grouping label "${name}" is set twice`);
    seen.add(name);
  }
  const sorted = [...grouping].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let path = base.pathname.replace(/\/+$/, '');
  path += `/metrics/job@base64/${encodeGroupingValue(job)}`;
  for (const { name, value } of sorted) path += `/${name}@base64/${encodeGroupingValue(value)}`;
  const url = new URL(base.toString());
  url.pathname = path;
  url.hash = '';
  return ok(url);
}
