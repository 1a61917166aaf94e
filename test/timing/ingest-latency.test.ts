import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressChannel } from '../../src/modules/documents/index.ts';
import { generatePdf, sampleProse } from '../fixtures/pdfs.ts';
import { registerUser, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// The embedded engine serves one statement at a time (PGlite is one session behind a lock that lets requests
// go first), so a long job statement is time a request may wait. The claim under test, with in-process workers:
const JOB_STATEMENT_LIMIT_MS = 250;
const LIST_LIMIT_MS = 500;

const POLL_EVERY_MS = 100;
const INGEST_DEADLINE_MS = 90_000;
const ACTIVE = new Set(['queued', 'extracting', 'embedding', 'summarizing']);

/** What the slow-query log writes (platform/db/statement-listener.ts); requestId comes from the logger mixin. */
interface StatementLine {
  msg: string;
  statement: string;
  ms: number;
  requestId?: string;
}

interface Poll {
  atMs: number;
  ms: number;
  status: number;
  statements: number;
  /** The PDF's status in the answer, then the Markdown document's. */
  statuses: string[];
}

let t: TestApp;
let base: string;
let user: { id: string; token: string };
let pdf: Buffer;
let markdown: string;
beforeAll(async () => {
  // Fixtures first: pdfkit works on this thread for about a second, which would count in any statement in flight.
  pdf = await generatePdf({ pages: 300 });
  // Alongside the PDF, ~220 chunks of Markdown: several chunk inserts and thousands of vector windows.
  markdown = Array.from(
    { length: 110 },
    (_, i) => `## Part ${i + 1}\n\n${sampleProse(i + 1, 40)}\n\n${sampleProse(i + 7, 40)}\n`,
  ).join('\n');
  t = await createTestApp({
    // Every statement over 1 ms is logged with its duration; one a request sent carries the request's id, so a
    // line without one was sent by background work (the jobs and the outbox relay that enqueues them). Durations
    // are measured in the PGlite worker thread, where the statement runs.
    SLOW_QUERY_MS: '1',
    // Every poll reaches the database (authentication and the list query) rather than a cached page.
    CACHE: 'off',
  });
  await t.deps.startBackground({ workers: true });
  // Real HTTP: the latency a client sees, socket and all.
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  user = await registerUser(t);
  // Start from a quiet queue: the daily prune that startBackground runs once must not count as ingestion.
  await until(async () => {
    const stats = await t.deps.queue.stats();
    return stats.active + stats.waiting === 0;
  }, 10_000);
});
afterAll(() => t?.close(), 120_000);

async function until(done: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`not done within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function listDocuments(ids: string[], startedAt: number): Promise<Poll> {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/documents`, {
    headers: { authorization: `Bearer ${user.token}` },
  });
  const body = (await res.json()) as { items?: { id: string; status: string }[] };
  const ms = performance.now() - t0;
  const timing = /desc="(\d+) statements"/.exec(res.headers.get('server-timing') ?? '');
  return {
    atMs: Math.round(t0 - startedAt),
    ms: Math.round(ms),
    status: res.status,
    statements: Number(timing?.[1] ?? 0),
    statuses: ids.map((id) => body.items?.find((item) => item.id === id)?.status ?? 'unknown'),
  };
}

describe('ingesting a 300-page PDF with in-process workers on the embedded engine', () => {
  it('sends no job statement of 250 ms or more, and GET /api/v1/documents answers in under 500 ms', async () => {
    expect(t.engine).toBe('pglite');
    const logsFrom = t.logs.length;
    t.deps.eventLoopDelay.reset();
    const startedAt = performance.now();
    const ids: string[] = [];
    for (const file of [
      { fileName: 'manual.pdf', contentType: 'application/pdf', data: pdf },
      { fileName: 'notes.md', contentType: 'text/markdown', data: markdown },
    ]) {
      const res = await upload(t, user.token, file);
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json<UploadedDocument>().id);
    }

    // Poll every 100 ms, and at once whenever the pipeline reports progress, so a short stage (summarizing)
    // is seen too.
    let wake: (() => void) | undefined;
    const unsubscribe = await Promise.all(
      ids.map((id) => t.deps.pubsub.subscribe(progressChannel(id), () => wake?.())),
    );
    const polls: Poll[] = [];
    try {
      while (performance.now() - startedAt < INGEST_DEADLINE_MS) {
        const poll = await listDocuments(ids, startedAt);
        polls.push(poll);
        if (poll.status === 200 && !poll.statuses.some((s) => ACTIVE.has(s))) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_EVERY_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      await Promise.all(unsubscribe.map((stop) => stop()));
    }
    const ingestMs = performance.now() - startedAt;

    const statements = (t.logs.slice(logsFrom) as unknown as StatementLine[]).filter(
      (line) => line.msg === 'slow query',
    );
    const byDuration = (a: StatementLine, b: StatementLine) => b.ms - a.ms;
    const background = statements.filter((s) => !s.requestId).sort(byDuration);
    const inRequests = statements.filter((s) => s.requestId).sort(byDuration);
    const pdfStage = (stage: string) => polls.filter((p) => p.statuses[0] === stage).length;
    const show = (s: StatementLine) => ({ ms: s.ms, sql: s.statement.slice(0, 100) });
    const report = {
      ingestMs: Math.round(ingestMs),
      final: polls.at(-1)?.statuses,
      polls: polls.length,
      pollsDuringPdf: {
        extracting: pdfStage('extracting'),
        embedding: pdfStage('embedding'),
        summarizing: pdfStage('summarizing'),
      },
      failedPolls: polls.filter((p) => p.status !== 200).map((p) => p.status),
      maxListMs: Math.max(...polls.map((p) => p.ms)),
      slowestPolls: polls.toSorted((a, b) => b.ms - a.ms).slice(0, 5),
      eventLoopDelayMaxMs: Math.round(t.deps.eventLoopDelay.max / 1e6),
      backgroundStatementsOver1ms: background.length,
      backgroundOver250ms: background.filter((s) => s.ms >= JOB_STATEMENT_LIMIT_MS).length,
      slowestBackground: background.slice(0, 5).map(show),
      slowestInRequests: inRequests.slice(0, 3).map(show),
    };
    console.log('ingest latency:', JSON.stringify(report, null, 2));

    // The claim (soft, so one run reports every part that fails).
    expect
      .soft(background.filter((s) => s.ms >= JOB_STATEMENT_LIMIT_MS).map(show), 'job statements ≥ 250 ms')
      .toEqual([]);
    expect.soft(report.failedPolls, 'polls that failed').toEqual([]);
    expect.soft(report.maxListMs, 'slowest GET /api/v1/documents (ms)').toBeLessThan(LIST_LIMIT_MS);

    // It cannot hold vacuously: the work ran for seconds, both documents got to ready, requests were made in
    // each stage of the PDF, every poll read the database, and the log told job statements from others.
    expect(report.final).toEqual(['ready', 'ready']);
    expect(ingestMs).toBeGreaterThan(3000);
    expect(report.pollsDuringPdf.extracting).toBeGreaterThanOrEqual(3);
    expect(report.pollsDuringPdf.embedding).toBeGreaterThanOrEqual(3);
    expect(report.pollsDuringPdf.summarizing).toBeGreaterThanOrEqual(1);
    const answered = polls.filter((p) => p.status === 200);
    expect(Math.min(...answered.map((p) => p.statements))).toBeGreaterThanOrEqual(2);
    expect(background.length).toBeGreaterThan(50);
    expect(inRequests.length).toBeGreaterThan(0);
  }, 120_000);
});
