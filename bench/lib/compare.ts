// `npm run bench -- --compare A B`: per scenario measured in both result files, the change from A to B.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface ComparedResult {
  name: string;
  reqPerSec: number;
  latencyMs: { p50: number; p99: number };
  ratio: number | null;
}

interface ComparedReport {
  startedAt: string;
  mode?: string;
  results: ComparedResult[];
}

/** `file` as given, else a name in the results dir, with or without `.json`. */
function resolveResultFile(file: string, resultsDir: string): string {
  const candidates = [file, `${file}.json`, join(resultsDir, file), join(resultsDir, `${file}.json`)];
  const found = candidates.find((path) => path.endsWith('.json') && existsSync(path));
  if (!found) throw new Error(`no result file ${file} (looked for: ${candidates.join(', ')})`);
  return found;
}

const isNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

function isResult(r: unknown): r is ComparedResult {
  const x = r as Partial<ComparedResult> | null;
  return (
    typeof x?.name === 'string' &&
    isNumber(x.reqPerSec) &&
    isNumber(x.latencyMs?.p50) &&
    isNumber(x.latencyMs?.p99) &&
    (x.ratio === null || isNumber(x.ratio))
  );
}

export async function readResultFile(file: string, resultsDir: string): Promise<ComparedReport> {
  const path = resolveResultFile(file, resultsDir);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const report = parsed as Partial<ComparedReport> | null;
  if (
    typeof report?.startedAt !== 'string' ||
    !Array.isArray(report.results) ||
    !report.results.every(isResult)
  )
    throw new Error(
      `${path} is not a bench result file (startedAt and results[] with req/s, p50, p99, ratio)`,
    );
  return report as ComparedReport;
}

const change = (before: number, after: number) =>
  before === 0 ? '—' : `${after >= before ? '+' : ''}${(((after - before) / before) * 100).toFixed(1)} %`;

const cell = (before: number, after: number, digits: number) =>
  `${before.toFixed(digits)} → ${after.toFixed(digits)} (${change(before, after)})`;

/** The Markdown table of the change from `a` to `b`, with the scenarios only one of them has listed below. */
export function renderComparison(a: ComparedReport, b: ComparedReport): string {
  const after = new Map(b.results.map((r) => [r.name, r]));
  const rows = a.results.flatMap((x) => {
    const y = after.get(x.name);
    if (!y) return [];
    const ratio =
      x.ratio === null || y.ratio === null
        ? '—'
        : `${x.ratio.toFixed(3)} → ${y.ratio.toFixed(3)} (${change(x.ratio, y.ratio)})`;
    return [
      `| ${x.name} | ${cell(x.reqPerSec, y.reqPerSec, 0)} | ${cell(x.latencyMs.p50, y.latencyMs.p50, 2)} | ` +
        `${cell(x.latencyMs.p99, y.latencyMs.p99, 2)} | ${ratio} |`,
    ];
  });
  const label = (r: ComparedReport) => `${r.startedAt}${r.mode ? ` (${r.mode})` : ''}`;
  const onlyIn = (r: ComparedReport, other: ComparedReport) =>
    r.results.map((x) => x.name).filter((name) => !other.results.some((y) => y.name === name));
  const onlyA = onlyIn(a, b);
  const onlyB = onlyIn(b, a);
  return [
    `Change from ${label(a)} to ${label(b)}`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | vs ceiling |',
    '|---|--:|--:|--:|--:|',
    ...rows,
    '',
    ...(rows.length === 0 ? ['No scenario was measured in both files.', ''] : []),
    ...(onlyA.length > 0 ? [`Only in the first: ${onlyA.join(', ')}`] : []),
    ...(onlyB.length > 0 ? [`Only in the second: ${onlyB.join(', ')}`] : []),
  ].join('\n');
}
