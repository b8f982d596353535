import { readFileSync } from 'node:fs';

/**
 * Resolves uids to user names for `{{.Username}}` from the HOST's passwd file (not the procfs root's),
 * as process-exporter does with Go's os/user. Falls back to the decimal uid. Results are cached forever
 * per uid, like upstream; the file is read once, lazily.
 */
export function createUsernameLookup(passwdPath = '/etc/passwd'): (uid: number) => string {
  let byUid: Map<number, string> | undefined;
  return (uid: number): string => {
    byUid ??= loadPasswd(passwdPath);
    return byUid.get(uid) ?? String(uid);
  };
}

function loadPasswd(path: string): Map<number, string> {
  const out = new Map<number, string>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out; // no passwd (e.g. a scratch container): every uid renders as a number, like upstream's static build
  }
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    const name = fields[0];
    const uid = Number(fields[2]);
    if (name === undefined || name === '' || !Number.isInteger(uid)) continue;
    if (!out.has(uid)) out.set(uid, name); // first entry wins, as getpwuid does
  }
  return out;
}
