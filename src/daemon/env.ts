import type { Logger } from '../base/logger.js';

/** The world a command runs in; cli/main.ts builds the real one, tests may build another. */
export interface CommandEnv {
  readonly stdout: (text: string) => void;
  readonly logger: Logger;
  readonly nowMs: () => number;
}

/** A usage or config problem: the CLI prints it and exits with code 2. */
export class UsageError extends Error {}

/** A failure at run time (not a usage error): the CLI prints it and exits with code 1. */
export class RuntimeError extends Error {}
