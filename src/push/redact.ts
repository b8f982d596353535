/** Keeps credentials out of logs, errors and self-metrics labels. Pure. */

const SECRET_QUERY_PARAM = /token|key|secret|pass|auth|sig|credential/i;
export const REDACTED = '<redacted>';

/**
 * A URL for display: the password of the userinfo is replaced (`user:xxxxx@`, as Go's URL.Redacted),
 * and query parameters whose name looks secret (token, key, password, auth, signature...) lose their value.
 * Unparsable input is not echoed back, since it may hold a secret.
 */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(url.toString());
  } catch {
    return '<invalid URL>';
  }
  if (u.password !== '') u.password = 'xxxxx';
  for (const name of [...u.searchParams.keys()]) {
    if (SECRET_QUERY_PARAM.test(name)) u.searchParams.set(name, 'xxxxx');
  }
  return u.toString();
}

/**
 * Replaces every occurrence of the given secrets (and their base64 forms, as sent in headers) in a text.
 * Used on error messages and on response bodies, since a receiver may echo the request headers.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 3) continue; // too short to redact without mangling ordinary text
    out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Truncates a text for a log line, saying how much was cut. */
export function truncateForLog(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}... (${text.length - maxChars} more characters)`;
}
