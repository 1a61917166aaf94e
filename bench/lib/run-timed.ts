import { randomUUID } from 'node:crypto';
import type { Measurement, TimedScenario } from '../scenarios/scenario.ts';
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
  signal: AbortSignal,
): Promise<TimedResult> {
  const linesBefore = server.child.lineCount();
  const startedAt = performance.now();
  const measurements = await scenario.measure({ baseUrl: server.baseUrl, runId: randomUUID(), signal });
  return {
    name: scenario.name,
    description: scenario.description,
    measurements,
    seconds: (performance.now() - startedAt) / 1000,
    serverLogLines: server.child.lineCount() - linesBefore,
  };
}
