// `npm run bench [-- scenario… --duration s --connections n --quick]`: see bench/README.md.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE } from './lib/args.ts';
import { seedDatasets } from './lib/data-dir.ts';
import type { BenchOptions } from './lib/args.ts';
import { killAllChildrenSync } from './lib/processes.ts';
import { machineInfo, renderNotes, renderTable, renderTimedTable, writeReport } from './lib/report.ts';
import type { BenchReport } from './lib/report.ts';
import { runScenario } from './lib/run-scenario.ts';
import type { ScenarioResult } from './lib/run-scenario.ts';
import { runTimedScenario } from './lib/run-timed.ts';
import type { TimedResult } from './lib/run-timed.ts';
import { LECTERN_BENCH_ENV, serverKey, startServer } from './lib/servers.ts';
import type { RunningServer } from './lib/servers.ts';
import { REFERENCE, scenarios } from './scenarios/index.ts';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Whole-run cap: generous per scenario (startup, setup, warm-up, run, overrun), then everything stops. */
function globalCapMs(options: BenchOptions): number {
  return (60 + options.scenarios.length * (options.warmupSec + options.durationSec + 120)) * 1000;
}

async function runAll(
  options: BenchOptions,
  signal: AbortSignal,
  tmpRoot: string,
): Promise<{ results: ScenarioResult[]; timed: TimedResult[] }> {
  const results: ScenarioResult[] = [];
  const timed: TimedResult[] = [];
  let server: RunningServer | undefined;
  try {
    for (const [i, name] of options.scenarios.entries()) {
      const scenario = scenarios[name];
      const step = `[${i + 1}/${options.scenarios.length}] ${name}`;
      if (server?.key !== serverKey(scenario.server)) {
        await server?.child.stop(); // one server at a time: an idle one would still share the 2 cores
        server = undefined;
        console.log(`${step}: starting ${scenario.server.kind}…`);
        server = await startServer(scenario.server, { tmpRoot, signal });
      }
      if ('measure' in scenario) {
        console.log(`${step}: measuring once…`);
        const t = await runTimedScenario(scenario, server, signal);
        console.log(
          `${step}: ${t.measurements.map((m) => `${m.label} ${m.value.toFixed(1)} ${m.unit}`).join(', ')}`,
        );
        timed.push(t);
        continue;
      }
      console.log(
        `${step}: ${options.warmupSec} s warm-up + ${options.durationSec} s at ${options.connections} connections…`,
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
  const reference = results.find((r) => r.name === REFERENCE);
  for (const r of results)
    r.ratio = reference && reference.reqPerSec > 0 ? r.reqPerSec / reference.reqPerSec : null;
  return { results, timed };
}

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions | undefined;
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
  try {
    await seedDatasets(
      options.scenarios.map((name) => scenarios[name].server),
      controller.signal,
    );
  } catch (error) {
    console.error(`bench failed: seeding: ${(error as Error).message}`);
    for (const sig of SIGNALS) process.off(sig, onSignal);
    return 1;
  }
  const capMs = globalCapMs(options);
  const capTimer = setTimeout(
    () => controller.abort(new Error(`global time cap of ${capMs / 1000} s hit`)),
    capMs,
  );

  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const tmpRoot = await mkdtemp(join(os.tmpdir(), 'lectern-bench-'));
  try {
    const { results, timed } = await runAll(options, controller.signal, tmpRoot);
    const { scenarios: _names, ...settings } = options;
    const report: BenchReport = {
      startedAt,
      finishedAt: new Date().toISOString(),
      ...machine,
      settings,
      lecternEnv: LECTERN_BENCH_ENV,
      reference: REFERENCE,
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
    await rm(tmpRoot, { recursive: true, force: true });
    for (const sig of SIGNALS) process.off(sig, onSignal);
  }
}

process.exitCode = await main(process.argv.slice(2));
