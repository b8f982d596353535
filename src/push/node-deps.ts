/**
 * The real-world SinkDeps on Node: wall clock, timers, Math.random, node:fs and node:http(s).
 * Meant to be called once from the composition root (main.ts); tests build their own deps.
 */

import { readFileSync } from 'node:fs';

import { describeError, err, ok, type Result } from '../runtime/result.js';
import type { SinkDeps, Sleep } from './deps.js';
import { createNodeTransport } from './http/node-transport.js';
import type { PushLogger } from './types.js';

export const nodeSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function readBinary(path: string): Result<Buffer, string> {
  try {
    return ok(readFileSync(path));
  } catch (e) {
    return err(describeError(e)); // names the path and the errno, never the content
  }
}

export function createNodeSinkDeps(input: {
  readonly logger: PushLogger;
  readonly version: string;
  readonly maxResponseBodyBytes?: number;
}): SinkDeps {
  return {
    logger: input.logger,
    version: input.version,
    clock: { nowMs: () => Date.now() },
    sleep: nodeSleep,
    random: Math.random,
    readBinaryFile: readBinary,
    readTextFile: (path) => {
      const r = readBinary(path);
      return r.ok ? ok(r.value.toString('utf8')) : r;
    },
    createTransport: (tls) =>
      createNodeTransport({
        ...(tls !== undefined ? { tls } : {}),
        ...(input.maxResponseBodyBytes !== undefined ? { maxResponseBodyBytes: input.maxResponseBodyBytes } : {}),
      }),
  };
}
