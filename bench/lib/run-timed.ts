import { randomUUID } from 'node:crypto';
import type { Measurement, TimedContext, TimedScenario } from '../scenarios/scenario.ts';
import type { RunningServer } from './servers.ts';

export interface TimedResult {
  name: string;
  description: string;
  measurements: Measurement[];
  /** Wall time of the whole measurement, setup included. */
  seconds: number;
  /** Lines the server printed meanwhile (LOG_LEVEL=warn: warnings and errors). */
  serverLogLines: number;
}

/** Runs a timed scenario once against its server: no warm-up, no load loop. */
export async function runTimedScenario(
  scenario: TimedScenario,
  server: RunningServer,
  context: Pick<TimedContext, 'signal' | 'startServer'>,
): Promise<TimedResult> {
  const linesBefore = server.child.lineCount();
  const startedAt = performance.now();
  const measurements = await scenario.measure({ ...context, baseUrl: server.baseUrl, runId: randomUUID() });
  return {
    name: scenario.name,
    description: scenario.description,
    measurements,
    seconds: (performance.now() - startedAt) / 1000,
    serverLogLines: server.child.lineCount() - linesBefore,
  };
}
