// `npm run bench [-- scenario… --mode m --duration s --connections n --quick | --compare A B]`: bench/README.md.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE } from './lib/args.ts';
import type { BenchOptions } from './lib/args.ts';
import { readResultFile, renderComparison } from './lib/compare.ts';
import type { FleetBackends } from './lib/fleet.ts';
import { prepareMode } from './lib/mode.ts';
import { killAllChildrenSync } from './lib/processes.ts';
import { machineInfo, renderNotes, renderTable, renderTimedTable, writeReport } from './lib/report.ts';
import type { BenchReport } from './lib/report.ts';
import { runScenario } from './lib/run-scenario.ts';
import type { ScenarioResult } from './lib/run-scenario.ts';
import { runTimedScenario } from './lib/run-timed.ts';
import type { TimedResult } from './lib/run-timed.ts';
import { LECTERN_BENCH_ENV, serverKey, startServer } from './lib/servers.ts';
import type { RunningServer, ServerSpec } from './lib/servers.ts';
import { REFERENCE, scenarios } from './scenarios/index.ts';
import type { ScenarioName } from './scenarios/index.ts';
import { BASELINES } from './scenarios/references.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Whole-run cap: generous per scenario (startup, setup, warm-up, run, overrun), then everything stops. */
function globalCapMs(options: BenchOptions, count: number): number {
  return (60 + count * (options.warmupSec + options.durationSec + 120)) * 1000;
}

interface RunPlan {
  names: ScenarioName[];
  tmpRoot: string;
  fleet: FleetBackends | undefined;
}

async function runAll(
  options: BenchOptions,
  plan: RunPlan,
  signal: AbortSignal,
): Promise<{ results: ScenarioResult[]; timed: TimedResult[] }> {
  const results: ScenarioResult[] = [];
  const timed: TimedResult[] = [];
  const start = (spec: ServerSpec) => startServer(spec, { tmpRoot: plan.tmpRoot, signal, fleet: plan.fleet });
  let server: RunningServer | undefined;
  try {
    for (const [i, name] of plan.names.entries()) {
      const scenario = scenarios[name];
      const step = `[${i + 1}/${plan.names.length}] ${name}`;
      if (server?.key !== serverKey(scenario.server)) {
        await server?.child.stop(); // one server at a time: an idle one would still share the 2 cores
        server = undefined;
        console.log(`${step}: starting ${scenario.server.kind}…`);
        server = await start(scenario.server);
      }
      if ('measure' in scenario) {
        console.log(`${step}: measuring once…`);
        const t = await runTimedScenario(scenario, server, { signal, startServer: start });
        console.log(
          `${step}: ${t.measurements.map((m) => `${m.label} ${m.value.toFixed(1)} ${m.unit}`).join(', ')}`,
        );
        timed.push(t);
        continue;
      }
      console.log(
        `${step}: ${options.warmupSec} s warm-up + ${options.durationSec} s at ${scenario.connections ?? options.connections} connections…`,
      );
      const r = await runScenario(scenario, server, { ...options, signal });
      console.log(
        `${step}: ${Math.round(r.reqPerSec)} req/s, p50 ${r.latencyMs.p50.toFixed(2)} ms, ` +
          `p99 ${r.latencyMs.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}`,
      );
      results.push(r);
    }
  } finally {
    await server?.child.stop();
  }
  fillRatios(results);
  return { results, timed };
}

/** vs the ceiling, and vs the scenario's baseline when both ran in this invocation. */
function fillRatios(results: ScenarioResult[]): void {
  const byName = new Map(results.map((r) => [r.name, r]));
  const ratio = (r: ScenarioResult, to: ScenarioResult | undefined) =>
    to && to.reqPerSec > 0 ? r.reqPerSec / to.reqPerSec : null;
  for (const r of results) {
    r.ratio = ratio(r, byName.get(REFERENCE));
    const baseline = BASELINES[r.name as ScenarioName];
    r.vsBaseline = baseline ? ratio(r, byName.get(baseline)) : null;
    r.baseline = r.vsBaseline === null ? null : baseline!;
  }
}

async function compare([a, b]: [string, string]): Promise<number> {
  try {
    console.log(renderComparison(await readResultFile(a, RESULTS_DIR), await readResultFile(b, RESULTS_DIR)));
    return 0;
  } catch (error) {
    console.error(`bench --compare: ${(error as Error).message}`);
    return 1;
  }
}

async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseBenchArgs>;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  if ('compare' in options) return compare(options.compare);

  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      killAllChildrenSync(); // second signal: don't wait for graceful shutdown
      process.exit(130);
    }
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);
  process.once('exit', killAllChildrenSync);
  // A seeded dataset is made once and cached under bench/.data, outside the time cap (the seed has its own).
  let mode: Awaited<ReturnType<typeof prepareMode>>;
  try {
    mode = await prepareMode(options.mode, options.scenarios, controller.signal);
  } catch (error) {
    console.error(`bench failed: preparing ${options.mode} mode: ${(error as Error).message}`);
    for (const sig of SIGNALS) process.off(sig, onSignal);
    return 1;
  }
  for (const s of mode.skipped) console.log(`${s.name}: skipped in ${options.mode} mode: ${s.reason}`);
  const capMs = globalCapMs(options, mode.scenarios.length);
  const capTimer = setTimeout(
    () => controller.abort(new Error(`global time cap of ${capMs / 1000} s hit`)),
    capMs,
  );

  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const tmpRoot = await mkdtemp(join(os.tmpdir(), 'lectern-bench-'));
  try {
    const plan = { names: mode.scenarios, tmpRoot, fleet: mode.fleet };
    const { results, timed } = await runAll(options, plan, controller.signal);
    const { scenarios: _names, mode: _mode, ...settings } = options;
    const report: BenchReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      ...machine,
      mode: options.mode,
      modeNotes: mode.notes,
      settings,
      lecternEnv: LECTERN_BENCH_ENV,
      reference: REFERENCE,
      skipped: mode.skipped,
      results,
      timed,
    };
    const files = await writeReport(report, RESULTS_DIR);
    console.log(`\n${renderTable(report)}\n`);
    if (timed.length > 0) console.log(`${renderTimedTable(report)}\n`);
    for (const note of renderNotes(report)) console.log(`note: ${note}`);
    console.log(`wrote ${files.map((f) => relative(process.cwd(), f)).join(', ')}`);
    return 0;
  } catch (error) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
    console.error(`bench failed: ${reason instanceof Error ? reason.message : String(reason)}`);
    return 1;
  } finally {
    clearTimeout(capTimer);
    await mode.fleet?.stop();
    await rm(tmpRoot, { recursive: true, force: true });
    for (const sig of SIGNALS) process.off(sig, onSignal);
  }
}

process.exitCode = await main(process.argv.slice(2));
