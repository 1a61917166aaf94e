import { randomUUID } from 'node:crypto';
import type { Scenario } from '../scenarios/scenario.ts';
import { runLoad } from './load.ts';
import type { LoadResult } from './load.ts';
import { sampleRequest } from './sample.ts';
import type { RunningServer } from './servers.ts';

export interface ScenarioResult extends LoadResult {
  name: string;
  description: string;
  request: string;
  connections: number;
  sqlPerRequest: number | null;
  /** `Server-Timing` of the request sent after the warm-up (stage split: embed, db, total). */
  serverTiming: string | null;
  /** reqPerSec ÷ the reference's reqPerSec from this invocation; filled in by the runner. */
  ratio: number | null;
  /** The scenario this one is compared with (naive version, or the same request without the feature). */
  baseline: string | null;
  /** reqPerSec ÷ the baseline's reqPerSec from this invocation; filled in by the runner. */
  vsBaseline: number | null;
  /** Lines the server printed during warm-up + measured run (LOG_LEVEL=warn: warnings and errors). */
  serverLogLines: number;
}

export interface RunSettings {
  durationSec: number;
  warmupSec: number;
  connections: number;
  signal: AbortSignal;
}

export async function runScenario(
  scenario: Scenario,
  server: RunningServer,
  settings: RunSettings,
): Promise<ScenarioResult> {
  const { signal } = settings;
  const target = await scenario.setup({ baseUrl: server.baseUrl, runId: randomUUID(), signal });
  await sampleRequest(server.baseUrl, target, signal); // fails fast when the request itself is wrong
  const linesBefore = server.child.lineCount();
  const connections = scenario.connections ?? settings.connections;
  const load = { connections, signal };
  await runLoad(server.baseUrl, target, { ...load, durationSec: settings.warmupSec }); // not recorded
  // SQL per request in the steady state the load measures: after warm-up, with caches as warm as they get.
  const sample = await sampleRequest(server.baseUrl, target, signal);
  const measured = await runLoad(server.baseUrl, target, { ...load, durationSec: settings.durationSec });
  return {
    name: scenario.name,
    description: scenario.description,
    request: `${target.method ?? 'GET'} ${target.path}`,
    connections,
    ...measured,
    sqlPerRequest: sample.sqlStatements,
    serverTiming: sample.serverTiming,
    ratio: null,
    baseline: null,
    vsBaseline: null,
    serverLogLines: server.child.lineCount() - linesBefore,
  };
}
