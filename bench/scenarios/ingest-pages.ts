import { setTimeout as sleep } from 'node:timers/promises';
import { handbookPdf, notesMarkdown } from '../../src/cli/seed/prose.ts';
import { TOPICS } from '../../src/cli/seed/topics.ts';
import { multipartUpload, type DocumentSummary } from './library-session.ts';
import { defineTimedScenario, type Measurement } from './scenario.ts';

const PDF_PAGES = 300;
const MARKDOWN_FILES = 40;
const POLL_MS = 200;
/** Far above what 300 pages take here; past it the scenario fails instead of hanging the run. */
const DEADLINE_MS = 240_000;

interface Session {
  baseUrl: string;
  authorization: string;
  signal: AbortSignal;
}

async function upload(s: Session, name: string, type: string, bytes: Buffer): Promise<string> {
  const { body, contentType } = multipartUpload({ name, type, bytes });
  const response = await fetch(`${s.baseUrl}/api/v1/documents`, {
    method: 'POST',
    headers: { authorization: s.authorization, 'content-type': contentType },
    body,
    signal: s.signal,
  });
  if (response.status !== 201)
    throw new Error(`upload returned ${response.status}: ${await response.text()}`);
  return ((await response.json()) as DocumentSummary).id;
}

/** Polls each document until it is ready; fails on `failed` or past the deadline. */
async function waitReady(s: Session, ids: string[]): Promise<DocumentSummary[]> {
  const deadline = performance.now() + DEADLINE_MS;
  const done = new Map<string, DocumentSummary>();
  for (;;) {
    for (const id of ids.filter((i) => !done.has(i))) {
      const response = await fetch(`${s.baseUrl}/api/v1/documents/${id}`, {
        headers: { authorization: s.authorization },
        signal: s.signal,
      });
      const doc = (await response.json()) as DocumentSummary & { error: string | null };
      if (doc.status === 'failed') throw new Error(`document ${id} failed: ${doc.error}`);
      if (doc.status === 'ready') done.set(id, doc);
    }
    if (done.size === ids.length) return [...done.values()];
    if (performance.now() > deadline)
      throw new Error(`${ids.length - done.size} documents not ready in time`);
    await sleep(POLL_MS, undefined, { signal: s.signal });
  }
}

/** Pages per minute from the first upload to the last document ready, and that time. */
async function timeIngestion(
  label: string,
  pages: number,
  run: () => Promise<DocumentSummary[]>,
): Promise<Measurement[]> {
  const startedAt = performance.now();
  const docs = await run();
  const seconds = (performance.now() - startedAt) / 1000;
  const chunks = docs.reduce((n, d) => n + (d.chunkCount ?? 0), 0);
  return [
    { label: `${label}: pages/minute`, value: (pages / seconds) * 60, unit: 'pages/min' },
    { label: `${label}: upload → ready`, value: seconds, unit: 's' },
    { label: `${label}: chunks`, value: chunks, unit: 'chunks' },
  ];
}

export const ingestPages = defineTimedScenario({
  name: 'ingest-pages',
  description:
    `Ingestion with the local embedder, upload to ready: one ${PDF_PAGES}-page PDF (~250 words a page, split ` +
    `into page-range jobs), then ${MARKDOWN_FILES} Markdown files (one page each) uploaded back to back.`,
  server: { kind: 'lectern', dataset: { kind: 'empty' } },
  async measure({ baseUrl, runId, signal }) {
    const register = await fetch(`${baseUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `bench-ingest-${runId}@example.com`, password: 'bench-password-1' }),
      signal,
    });
    if (register.status !== 201)
      throw new Error(`register returned ${register.status}: ${await register.text()}`);
    const { tokens } = (await register.json()) as { tokens: { accessToken: string } };
    const s: Session = { baseUrl, authorization: `Bearer ${tokens.accessToken}`, signal };

    // Generated before the clock starts: the measure is Lectern's, not pdfkit's.
    const topic = TOPICS[1]!;
    const pdf = await handbookPdf(topic, 7, PDF_PAGES, `${topic.subject} handbook`);
    const notes = TOPICS.flatMap((t, i) =>
      Array.from({ length: MARKDOWN_FILES / TOPICS.length }, (_, j) =>
        Buffer.from(notesMarkdown(t, 1000 + i * 97 + j, 4, `${t.subject} notes ${j + 1}`)),
      ),
    );

    const pdfFigures = await timeIngestion(`${PDF_PAGES}-page PDF`, PDF_PAGES, async () =>
      waitReady(s, [await upload(s, 'handbook.pdf', 'application/pdf', pdf)]),
    );
    const markdownFigures = await timeIngestion(
      `${MARKDOWN_FILES} Markdown files`,
      notes.length,
      async () => {
        const ids: string[] = [];
        for (const [i, bytes] of notes.entries())
          ids.push(await upload(s, `notes-${i}.md`, 'text/markdown', bytes));
        return waitReady(s, ids);
      },
    );
    return [...pdfFigures, ...markdownFigures];
  },
});
