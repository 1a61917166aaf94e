import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { Mode } from './fleet.ts';
import type { ScenarioResult } from './run-scenario.ts';
import type { TimedResult } from './run-timed.ts';

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  node: string;
  platform: string;
  cpu: { model: string; count: number };
  loadAverageAtStart: number[];
  mode: Mode;
  /** What the mode means for this run's figures (backends, datasets), printed in the header. */
  modeNotes: string[];
  settings: { durationSec: number; warmupSec: number; connections: number; quick: boolean };
  lecternEnv: Readonly<Record<string, string>>;
  reference: string;
  /** Selected scenarios this mode cannot run, with the reason. */
  skipped: { name: string; reason: string }[];
  results: ScenarioResult[];
  /** Scenarios measured once end to end (ingestion throughput), not under autocannon. */
  timed: TimedResult[];
}

export function machineInfo(): Pick<BenchReport, 'node' | 'platform' | 'cpu' | 'loadAverageAtStart'> {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: { model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length },
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

const ms = (n: number) => n.toFixed(2);

export function renderTable(report: BenchReport): string {
  const rows = report.results.map((r) =>
    [
      r.name,
      Math.round(r.reqPerSec).toString(),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p95),
      ms(r.latencyMs.p99),
      r.sqlPerRequest === null ? '—' : String(r.sqlPerRequest),
      (r.bytesPerResponse / 1024).toFixed(1),
      r.ratio === null ? '—' : r.ratio.toFixed(2),
      r.vsBaseline === null ? '—' : `${r.vsBaseline.toFixed(2)} (${r.baseline})`,
      String(r.non2xx),
    ].join(' | '),
  );
  return [
    `| scenario | req/s | p50 ms | p95 ms | p99 ms | SQL/req | KiB/resp | vs ${report.reference} | vs baseline | non-2xx |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/** The timed scenarios' figures, one row each. */
export function renderTimedTable(report: BenchReport): string {
  if (report.timed.length === 0) return '';
  const rows = report.timed.flatMap((t) =>
    t.measurements.map((m) => `| ${t.name} | ${m.label} | ${Number(m.value.toPrecision(4))} ${m.unit} |`),
  );
  return ['| scenario | measured | value |', '|---|---|--:|', ...rows].join('\n');
}

/** Things a reader must not miss: errors, capped runs, server warnings. */
export function renderNotes(report: BenchReport): string[] {
  const notes: string[] = [];
  for (const r of report.results) {
    if (r.errors > 0) notes.push(`${r.name}: ${r.errors} connection errors (${r.timeouts} timeouts)`);
    if (r.non2xx > 0) notes.push(`${r.name}: status codes ${JSON.stringify(r.statusCodes)}`);
    if (r.capped) notes.push(`${r.name}: stopped by the request cap before the duration ended`);
    if (r.serverLogLines > 0)
      notes.push(`${r.name}: server logged ${r.serverLogLines} lines (warn+) under load`);
  }
  for (const t of report.timed) {
    if (t.serverLogLines > 0) notes.push(`${t.name}: server logged ${t.serverLogLines} lines (warn+)`);
  }
  for (const s of report.skipped) notes.push(`${s.name}: skipped in ${report.mode} mode: ${s.reason}`);
  return notes;
}

export function renderMarkdown(report: BenchReport): string {
  const s = report.settings;
  const notes = renderNotes(report);
  return [
    `# Lectern benchmark — ${report.startedAt}, ${report.mode} mode`,
    '',
    ...report.modeNotes.map((n) => `- ${n}`),
    `- Node ${report.node} on ${report.platform}`,
    `- CPU: ${report.cpu.model} × ${report.cpu.count} (load average at start: ${report.loadAverageAtStart.join(', ')})`,
    `- Duration ${s.durationSec} s per scenario after a ${s.warmupSec} s warm-up, ${s.connections} connections${s.quick ? ' (--quick)' : ''}`,
    '- Rate limiting and overload shedding: off (`RATE_LIMIT=off`, `OVERLOAD_PROTECTION=off`, login limiter raised); ' +
      'seeded members count as active (`FEED_INACTIVE_AFTER_DAYS=3650`)',
    '- autocannon runs in the runner process on the same machine, against 127.0.0.1',
    `- Ratios are req/s ÷ \`${report.reference}\` req/s measured in this same invocation; "vs baseline" is ` +
      "req/s ÷ the named reference scenario's req/s (the naive version, or the same request without the feature)",
    '',
    renderTable(report),
    '',
    ...(report.timed.length > 0 ? [renderTimedTable(report), ''] : []),
    ...(notes.length > 0 ? ['Notes:', '', ...notes.map((n) => `- ${n}`), ''] : []),
    ...report.results.map((r) => `- \`${r.name}\` (${r.request}): ${r.description}`),
    ...report.timed.map((t) => `- \`${t.name}\` (timed, ${t.seconds.toFixed(0)} s): ${t.description}`),
    '',
  ].join('\n');
}

/** Writes `<stamp>-<mode>.json` and `.md`, and overwrites `latest.json` / `latest.md`. */
export async function writeReport(report: BenchReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  // ISO 8601 without colons, so the names are valid on every file system
  const stamp = `${report.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}-${report.mode}`;
  const json = JSON.stringify(report, null, 2) + '\n';
  const md = renderMarkdown(report);
  const files: [string, string][] = [
    [`${stamp}.json`, json],
    [`${stamp}.md`, md],
    ['latest.json', json],
    ['latest.md', md],
  ];
  for (const [name, content] of files) await writeFile(join(dir, name), content);
  return files.map(([name]) => join(dir, name));
}
