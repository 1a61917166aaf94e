import { ceiling } from './ceiling.ts';
import { health } from './health.ts';
import { me } from './me.ts';
import type { Scenario } from './scenario.ts';

// Registry order is run order; keep scenarios that share a server next to each other.
const all = [ceiling, health, me] as const;

export type ScenarioName = (typeof all)[number]['name'];

/** The reference every other scenario's req/s is divided by. */
export const REFERENCE: ScenarioName = 'ceiling';

export const scenarioNames: readonly ScenarioName[] = all.map((s) => s.name);

/** What `npm run bench` runs without arguments. */
export const defaultSuite: readonly ScenarioName[] = scenarioNames;

export function isScenarioName(name: string): name is ScenarioName {
  return (scenarioNames as readonly string[]).includes(name);
}

export const scenarios = Object.fromEntries(all.map((s) => [s.name, s])) as Record<ScenarioName, Scenario>;
