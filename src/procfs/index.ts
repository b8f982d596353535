/** procfs: parsers for the /proc files process-exporter reads, and the reader that implements ProcSource. */
export type * from './types.js';
export { ProcfsReader, goStyleError, type ProcfsPort, type ProcfsReaderOptions } from './reader.js';
export { parseStat, parseStatBytes } from './stat.js';
export { parseStatus, parseStatusBytes } from './status.js';
export { parseIo, parseIoBytes } from './io.js';
export { parseLimits, parseLimitsBytes } from './limits.js';
export { parseSmaps, parseSmapsBytes, parseSmapsRollup, parseSmapsRollupBytes } from './smaps.js';
export { parseCmdline, parseCmdlineBytes } from './cmdline.js';
export { parseCgroup, parseCgroupBytes } from './cgroup.js';
export { parseWchan, parseWchanBytes } from './wchan.js';
export { parseBootTime, parseBootTimeBytes } from './boot-time.js';
export { FALLBACK_PAGE_SIZE, hostPageSize, parseAuxvPageSize } from './page-size.js';
export { type ProcInput, UINT64_MAX } from './bytes.js';
