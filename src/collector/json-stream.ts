/**
 * JSON text written in pieces: the same text as `JSON.stringify(value)` for plain data (objects,
 * arrays, strings, numbers, booleans, null; undefined, functions and symbols dropped from objects and
 * written as null in arrays, as JSON.stringify does), handed to `write` in chunks of about
 * `chunkChars` characters. The state file of a host with 1,500 processes is ~1 MB of JSON: written
 * as one string, that string, its UTF-8 copy and the pieces building it were allocated every cycle
 * and pushed the agent's RSS up by ~12 MB (measured); in chunks, each piece dies young.
 *
 * Not for values with toJSON methods, Maps, Sets or cycles (the state has none).
 */
export function writeJsonChunked(write: (text: string) => void, value: unknown, chunkChars = 64 * 1024): void {
  let pending = '';
  const emit = (text: string): void => {
    pending += text;
    if (pending.length >= chunkChars) {
      write(pending);
      pending = '';
    }
  };
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      emit('[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) emit(',');
        const item: unknown = v[i];
        if (isSkipped(item)) emit('null');
        // The elements of a long array (the tracked processes) are written whole: one small string
        // each, which is much faster than walking down to every number.
        else if (v.length >= WHOLE_ELEMENTS_FROM) emit(JSON.stringify(item));
        else walk(item);
      }
      emit(']');
      return;
    }
    if (typeof v === 'object' && v !== null) {
      emit('{');
      let first = true;
      for (const [key, item] of Object.entries(v)) {
        if (isSkipped(item)) continue;
        if (!first) emit(',');
        first = false;
        emit(JSON.stringify(key));
        emit(':');
        walk(item);
      }
      emit('}');
      return;
    }
    emit(JSON.stringify(v));
  };
  walk(value);
  if (pending !== '') write(pending);
}

/** Arrays at least this long have their elements stringified whole. */
const WHOLE_ELEMENTS_FROM = 16;

function isSkipped(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}
