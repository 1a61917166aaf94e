import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.ts';
import { requestContext } from '../observability/request-context.ts';

/** Called once for every statement sent to the database, BEGIN/COMMIT/SET included. */
export type StatementListener = (sql: string, ms: number) => void;

export function createStatementListener(deps: {
  metrics: Metrics;
  logger: Logger;
  slowQueryMs: number;
}): StatementListener {
  return (sql, ms) => {
    const stats = requestContext.getStore()?.db;
    if (stats) {
      stats.statements += 1;
      stats.ms += ms;
    }
    deps.metrics.dbQueryDuration.observe({ operation: operationOf(sql) }, ms / 1000);
    if (ms > deps.slowQueryMs) {
      // The statement, never its parameters: they may carry personal data.
      deps.logger.warn({ statement: sql.slice(0, 2000), ms: Math.round(ms) }, 'slow query');
    }
  };
}

const OPERATIONS = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'with',
  'begin',
  'commit',
  'rollback',
  'set',
]);

function operationOf(sql: string): string {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'other';
  return OPERATIONS.has(word) ? word : 'other';
}
