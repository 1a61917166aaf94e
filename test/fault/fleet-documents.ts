// A document ingested through a fleet serve, for fault tests that need one ready before the fault.
import { expect } from 'vitest';
import type pg from 'pg';
import { pollUntil } from '../e2e/serve-process.ts';
import { multipart } from '../harness/library.ts';

const TIDES = `# Tides\n\n## The moon\n\n${'The moon pulls the oceans and raises the tides twice a day. '.repeat(40)}\n`;

/** Uploads a short Markdown document through `serveUrl`, waits until the database says it is ready, its id. */
export async function readyDocument(
  serveUrl: string,
  accessToken: string,
  db: pg.Client,
  deadlineMs: number,
): Promise<string> {
  const body = multipart({}, [{ fileName: 'tides.md', contentType: 'text/markdown', data: TIDES }]);
  const res = await fetch(`${serveUrl}/api/v1/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': body.contentType },
    body: body.payload,
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  await pollUntil(
    'the document to be ready',
    async () => {
      const { rows } = await db.query<{ status: string }>('select status from documents where id = $1', [id]);
      return rows[0]?.status === 'ready' || undefined;
    },
    deadlineMs,
    50,
  );
  return id;
}
