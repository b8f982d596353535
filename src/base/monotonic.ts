/**
 * A monotonic clock in milliseconds (arbitrary origin), from process.hrtime: `performance.now()`
 * would do the same, but the first use of the `performance` global loads node's perf_hooks modules for
 * nothing else the agent needs (base/memory.ts, technique 8; the cost is in docs/architecture.md).
 */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
