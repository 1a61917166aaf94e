import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// The reconcile sweep: a document whose job was lost (its heartbeat went quiet) is revived as a new
// generation and still ends ready, once.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const db = () => t.deps.database.db;

describe('stalled-document sweep', () => {
  it('revives a document whose job was lost, and it ends ready with one document.ready event', async () => {
    const user = await registerUser(t);
    // No background work has started: the upload's event is never relayed, as if the job had been lost.
    const res = await upload(t, user.token, {
      fileName: 'lost.md',
      data: '# Lost\n\nA paragraph of plain text.',
    });
    const { id } = res.json<UploadedDocument>();

    // Still processing: it cannot be started over yet.
    const busy = await t.app.inject({
      method: 'POST',
      url: `/api/v1/documents/${id}/reprocess`,
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(busy.json()).toMatchObject({ status: 409, code: 'DOCUMENT_BUSY' });

    // A fresh heartbeat is left alone.
    expect(await t.deps.ingest.reviveStalled(60_000)).toBe(0);

    await db()
      .updateTable('documents')
      .set({ heartbeat_at: new Date(Date.now() - 120_000) })
      .where('id', '=', id)
      .execute();
    expect(await t.deps.ingest.reviveStalled(60_000)).toBe(1);
    const revived = await db()
      .selectFrom('documents')
      .select(['generation', 'status'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(revived).toEqual({ generation: 2, status: 'queued' });
    // Revived once: its heartbeat is fresh again.
    expect(await t.deps.ingest.reviveStalled(60_000)).toBe(0);

    await t.deps.startBackground({ workers: true });
    const document = await settle(t, user.token, id);
    expect(document.status).toBe('ready');
    const ready = await db()
      .selectFrom('outbox_events')
      .select('id')
      .where('aggregate_id', '=', id)
      .where('type', '=', 'document.ready')
      .execute();
    expect(ready).toHaveLength(1);
    // Generation 1's job (relayed late from the first event) found itself stale and changed nothing.
    const chunks = await db().selectFrom('chunks').select('ord').where('document_id', '=', id).execute();
    expect(chunks.map((c) => c.ord).sort()).toEqual(chunks.map((_, i) => i));
  });
});
