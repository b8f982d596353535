import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/**
 * JSON lines on stderr (stdout stays free for `once --output -`); journald and Kubernetes collect both.
 * Auth headers, passwords and tokens are redacted wherever they appear in a logged object.
 */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { name: 'procpush' },
      redact: {
        paths: ['password', 'token', 'bearer_token', 'authorization', '*.password', '*.bearer_token', '*.authorization', 'headers.authorization', 'headers.Authorization'],
        censor: '[REDACTED]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
