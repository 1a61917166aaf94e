import { pino, type Logger, type LoggerOptions } from 'pino';
import { requestContext } from './request-context.ts';

export type { Logger };

/** Paths pino blanks in every log line: credentials never reach the logs. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  'password',
  'token',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Every line written while a request runs carries its id and user.
    mixin() {
      const ctx = requestContext.getStore();
      return ctx ? { requestId: ctx.requestId, userId: ctx.userId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
