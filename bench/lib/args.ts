import { parseArgs } from 'node:util';
import { defaultSuite, isScenarioName, REFERENCE, scenarioNames } from '../scenarios/index.ts';
import type { ScenarioName } from '../scenarios/index.ts';
import type { Mode } from './fleet.ts';

export interface BenchOptions {
  /** In registry order, the reference first whenever anything else is selected. */
  scenarios: ScenarioName[];
  mode: Mode;
  durationSec: number;
  warmupSec: number;
  connections: number;
  quick: boolean;
}

/** `--compare A B`: two result files to diff instead of a run. */
export interface CompareRequest {
  compare: [string, string];
}

export const USAGE = `Usage: npm run bench -- [scenario…] [--mode embedded|fleet] [--duration <s>] [--connections <n>] [--quick]
       npm run bench -- --compare <before.json> <after.json>

  scenario          one or more of: ${scenarioNames.join(', ')} (default: ${defaultSuite.join(', ')})
  --mode <m>        embedded (PGlite, default) or fleet (a throwaway PostgreSQL 15 and Redis 7, a worker process)
  --duration <s>    measured seconds per scenario (default 10; 3 with --quick)
  --connections <n> concurrent connections (default 100)
  --quick           smoke run: 3 s measured, 1 s warm-up
  --compare A B     the change from result file A to B per scenario in both (a path, or a name in bench/results)`;

function positiveInt(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag} must be an integer 1..${max}`);
  return n;
}

function parseMode(value: string | undefined): Mode {
  if (value === undefined || value === 'embedded' || value === 'fleet') return value ?? 'embedded';
  throw new Error(`--mode must be embedded or fleet, not ${value}`);
}

/** Returns undefined when only help was asked for. */
export function parseBenchArgs(argv: string[]): BenchOptions | CompareRequest | undefined {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mode: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      quick: { type: 'boolean', default: false },
      compare: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  if (values.compare) {
    const [before, after, ...rest] = positionals;
    if (before === undefined || after === undefined || rest.length > 0)
      throw new Error('--compare takes exactly two result files');
    return { compare: [before, after] };
  }

  const unknown = positionals.filter((p) => !isScenarioName(p));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${scenarioNames.join(', ')}`);
  }
  const wanted = new Set<string>(positionals.length > 0 ? positionals : defaultSuite);
  const quick = values.quick;
  return {
    // ratios need the reference measured in this same invocation, before the rest
    scenarios: [REFERENCE, ...scenarioNames.filter((name) => name !== REFERENCE && wanted.has(name))],
    mode: parseMode(values.mode),
    durationSec: positiveInt('--duration', values.duration, quick ? 3 : 10, 3600),
    warmupSec: quick ? 1 : 2,
    connections: positiveInt('--connections', values.connections, 100, 10_000),
    quick,
  };
}
