import { parseArgs } from 'node:util';
import { defaultSuite, isScenarioName, REFERENCE, scenarioNames } from '../scenarios/index.ts';
import type { ScenarioName } from '../scenarios/index.ts';

export interface BenchOptions {
  /** In registry order, the reference first whenever anything else is selected. */
  scenarios: ScenarioName[];
  durationSec: number;
  warmupSec: number;
  connections: number;
  quick: boolean;
}

export const USAGE = `Usage: npm run bench -- [scenario…] [--duration <s>] [--connections <n>] [--quick]

  scenario         one or more of: ${scenarioNames.join(', ')} (default: ${defaultSuite.join(', ')})
  --duration <s>   measured seconds per scenario (default 10; 3 with --quick)
  --connections <n> concurrent connections (default 100)
  --quick          smoke run: 3 s measured, 1 s warm-up`;

function positiveInt(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag} must be an integer 1..${max}`);
  return n;
}

/** Returns undefined when only help was asked for. */
export function parseBenchArgs(argv: string[]): BenchOptions | undefined {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      duration: { type: 'string' },
      connections: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;

  const unknown = positionals.filter((p) => !isScenarioName(p));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${scenarioNames.join(', ')}`);
  }
  const wanted = new Set<string>(positionals.length > 0 ? positionals : defaultSuite);
  const quick = values.quick;
  return {
    // ratios need the reference measured in this same invocation, before the rest
    scenarios: [REFERENCE, ...scenarioNames.filter((name) => name !== REFERENCE && wanted.has(name))],
    durationSec: positiveInt('--duration', values.duration, quick ? 3 : 10, 3600),
    warmupSec: quick ? 1 : 2,
    connections: positiveInt('--connections', values.connections, 100, 10_000),
    quick,
  };
}
