/**
 * The page size of this host, needed to turn stat's rss (pages) into bytes the way
 * process-exporter does with Go's os.Getpagesize().
 *
 * Node has no getpagesize(). The kernel hands every process its page size in the ELF auxiliary
 * vector (AT_PAGESZ), which is exactly where libc's getpagesize() and Go's runtime read it from,
 * and /proc/self/auxv exposes that vector to the process itself. It is read once, without
 * spawning `getconf`; 4096 (x86_64, most arm64 kernels) is the fallback.
 */
import { readFileSync } from 'node:fs';
import { arch, endianness } from 'node:os';

const AT_NULL = 0;
const AT_PAGESZ = 6;
export const FALLBACK_PAGE_SIZE = 4096;

/**
 * AT_PAGESZ from an auxv image: pairs of native words (type, value), ended by AT_NULL.
 * Undefined when absent or implausible (not a power of two).
 */
export function parseAuxvPageSize(auxv: Uint8Array, wordBytes: 4 | 8, littleEndian: boolean): number | undefined {
  const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  const word = (offset: number): number =>
    wordBytes === 8 ? Number(view.getBigUint64(offset, littleEndian)) : view.getUint32(offset, littleEndian);
  for (let offset = 0; offset + 2 * wordBytes <= auxv.byteLength; offset += 2 * wordBytes) {
    const type = word(offset);
    if (type === AT_NULL) break;
    if (type === AT_PAGESZ) {
      const size = word(offset + wordBytes);
      return size > 0 && size <= 0x40000000 && (size & (size - 1)) === 0 ? size : undefined;
    }
  }
  return undefined;
}

let cached: number | undefined;

/** The host page size, read once per process. */
export function hostPageSize(): number {
  if (cached === undefined) {
    let size: number | undefined;
    try {
      const wordBytes = arch() === 'arm' || arch() === 'ia32' ? 4 : 8;
      size = parseAuxvPageSize(readFileSync('/proc/self/auxv'), wordBytes, endianness() === 'LE');
    } catch {
      size = undefined; // no /proc/self/auxv (not Linux, or /proc not mounted): use the fallback
    }
    cached = size ?? FALLBACK_PAGE_SIZE;
  }
  return cached;
}
