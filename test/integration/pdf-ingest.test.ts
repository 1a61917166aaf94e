import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corruptPdf, encryptedPdf, generatePdf, imageOnlyPdf, pageMarker } from '../fixtures/pdfs.ts';
import {
  followEvents,
  get,
  registerUser,
  settle,
  upload,
  type UploadedDocument,
} from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// PDFs end to end through the worker-thread extractor, in page-range jobs for large files.
let t: TestApp;
let user: { id: string; token: string };
beforeAll(async () => {
  t = await createTestApp({ INGEST_PAGES_PER_JOB: '25' });
  await t.deps.startBackground({ workers: true });
  user = await registerUser(t);
});
afterAll(() => t.close());

interface Chunk {
  ord: number;
  pageFrom: number;
  pageTo: number;
  text: string;
}

async function allChunks(id: string): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(
      t,
      user.token,
      `/api/v1/documents/${id}/chunks?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    const page = res.json<{ items: Chunk[]; nextCursor: string | null }>();
    chunks.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return chunks;
}

describe('PDF ingestion', () => {
  it('ingests a 300-page PDF to ready: page-numbered chunks, a summary, progress in order', async () => {
    const pdf = await generatePdf({ pages: 300 });
    const res = await upload(t, user.token, {
      fileName: 'manual.pdf',
      contentType: 'application/pdf',
      data: pdf,
    });
    expect(res.statusCode, res.body).toBe(201);
    const { id } = res.json<UploadedDocument>();

    const events = await followEvents(t, user.token, id);
    expect(events[0]!.event).toBe('snapshot');
    expect(events.at(-1)!.event).toBe('ready');
    const order = ['queued', 'extracting', 'embedding', 'summarizing', 'ready'];
    const ranks = events.map((e) => order.indexOf(e.data.status) * 10 + e.data.stageProgress);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // Twelve page-range jobs: extraction progress is reported as they finish, not only at the end.
    const extracting = events.filter((e) => e.data.status === 'extracting' && e.data.stageProgress > 0);
    expect(extracting.length).toBeGreaterThan(1);

    const document = await settle(t, user.token, id);
    expect(document).toMatchObject({ status: 'ready', pageCount: 300, error: null });
    const chunks = await allChunks(id);
    expect(chunks).toHaveLength(document.chunkCount!);
    for (const page of [1, 2, 25, 26, 150, 299, 300]) {
      const holding = chunks.filter((c) => c.text.includes(pageMarker(page)));
      expect(holding.length, `page ${page}`).toBeGreaterThan(0);
      for (const chunk of holding) {
        expect(chunk.pageFrom, `page ${page}`).toBeLessThanOrEqual(page);
        expect(chunk.pageTo, `page ${page}`).toBeGreaterThanOrEqual(page);
      }
    }
    expect(chunks.at(-1)!.pageTo).toBe(300);

    const summary = await get(t, user.token, `/api/v1/documents/${id}/summary`);
    expect(summary.statusCode).toBe(200);
    expect(summary.json<{ text: string }>().text.length).toBeGreaterThan(50);

    const events2 = await t.deps.database.db
      .selectFrom('outbox_events')
      .select('type')
      .where('aggregate_id', '=', id)
      .where('type', '=', 'document.ready')
      .execute();
    expect(events2).toHaveLength(1);
  });

  it.each([
    ['an encrypted PDF', encryptedPdf, /encrypted/i],
    ['a corrupt PDF', corruptPdf, /damaged|corrupt|not a valid/i],
    ['a PDF without a text layer', () => imageOnlyPdf(3), /no text layer/i],
  ])('ends %s as failed with a reason a user can act on', async (_name, make, reason) => {
    const res = await upload(t, user.token, {
      fileName: 'broken.pdf',
      contentType: 'application/pdf',
      data: await make(),
    });
    expect(res.statusCode, res.body).toBe(201);
    const document = await settle(t, user.token, res.json<UploadedDocument>().id);
    expect(document.status).toBe('failed');
    expect(document.error).toMatch(reason);
    const summary = await get(t, user.token, `/api/v1/documents/${document.id}/summary`);
    expect(summary.json()).toMatchObject({ status: 409, code: 'DOCUMENT_NOT_READY' });
  });
});
