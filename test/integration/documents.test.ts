import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../harness/test-app.ts';
import {
  followEvents,
  get,
  registerUser,
  settle,
  upload,
  type UploadedDocument,
} from '../harness/library.ts';

// Uploads, de-duplication, type checks, limits, privacy and the text pipeline, through HTTP, with workers.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ MAX_UPLOAD_BYTES: '200000', USER_STORAGE_BYTES: '400000' });
  await t.deps.startBackground({ workers: true });
});
afterAll(() => t.close());

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c626001000000ffff03000006000557bfabd40000000049454e44ae426082',
  'hex',
);

function markdown(topic: string, paragraphs = 6): string {
  const body = Array.from(
    { length: paragraphs },
    (_, i) =>
      `Paragraph ${i + 1} about ${topic}. The ${topic} keeps its own vocabulary, and every sentence here ` +
      `describes how ${topic} behaves when conditions change over the seasons of the year ${2000 + i}.`,
  ).join('\n\n');
  return `# ${topic}\n\n${body}\n\n## Notes on ${topic}\n\nA closing remark about ${topic}.\n`;
}

async function blobFiles(): Promise<string[]> {
  const dir = path.join(t.deps.config.dataDir, 'files', 'documents');
  const names = await readdir(dir).catch(() => []);
  return names.filter((name) => !name.endsWith('.meta.json'));
}

async function documentCount(ownerId: string): Promise<number> {
  const row = await t.deps.database.db
    .selectFrom('documents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_id', '=', ownerId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('upload and processing', () => {
  it('stores a Markdown upload, processes it to ready with chunks and a summary, and reports progress in order', async () => {
    const user = await registerUser(t);
    const res = await upload(
      t,
      user.token,
      { fileName: 'tides.md', contentType: 'text/markdown', data: markdown('tide pools', 40) },
      { tags: 'Ocean, biology', title: 'Tide pools' },
    );
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<UploadedDocument>();
    expect(created).toMatchObject({
      title: 'Tide pools',
      mime: 'text/markdown',
      fileName: 'tides.md',
      duplicateOf: null,
      tags: ['biology', 'ocean'],
    });

    const events = await followEvents(t, user.token, created.id);
    expect(events[0]!.event).toBe('snapshot');
    expect(events.at(-1)).toMatchObject({ event: 'ready', data: { status: 'ready' } });
    const order = ['queued', 'extracting', 'embedding', 'summarizing', 'ready'];
    const seen = events.map((e) => order.indexOf(e.data.status));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    const ready = await settle(t, user.token, created.id);
    expect(ready).toMatchObject({ status: 'ready', pageCount: 1, error: null });
    expect(ready.chunkCount).toBeGreaterThan(1);
    expect(ready.embedding).toBe(t.deps.vector.enabled ? 'done' : 'skipped');

    const chunks = await get(t, user.token, `/api/v1/documents/${created.id}/chunks?limit=100`);
    const items = chunks.json<{ items: { ord: number; pageFrom: number; pageTo: number; text: string }[] }>()
      .items;
    expect(items).toHaveLength(ready.chunkCount!);
    expect(items.map((c) => c.ord)).toEqual(items.map((_, i) => i));
    expect(items.every((c) => c.pageFrom === 1 && c.pageTo === 1)).toBe(true);
    expect(items.map((c) => c.text).join(' ')).not.toMatch(/^#/m);

    const summary = await get(t, user.token, `/api/v1/documents/${created.id}/summary`);
    expect(summary.statusCode).toBe(200);
    expect(summary.json<{ method: string; text: string }>()).toMatchObject({ method: 'extractive' });
    expect(summary.json<{ text: string }>().text).toMatch(/tide pools/);
  });

  it('answers the same bytes with the existing document, without storing or processing them again', async () => {
    const user = await registerUser(t);
    const data = markdown('aqueducts');
    const first = await upload(t, user.token, { fileName: 'a.md', data });
    expect(first.statusCode).toBe(201);
    const blobsBefore = await blobFiles();
    const again = await upload(t, user.token, { fileName: 'copy.md', data });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, duplicateOf: first.json().id });
    expect(await blobFiles()).toEqual(blobsBefore);
    expect(await documentCount(user.id)).toBe(1);
  });

  it('creates exactly one document from 10 concurrent identical uploads', async () => {
    const user = await registerUser(t);
    const data = markdown('sourdough');
    const blobsBefore = (await blobFiles()).length;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => upload(t, user.token, { fileName: 'bread.md', data })),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200, 200, 201,
    ]);
    expect(new Set(responses.map((r) => r.json<{ id: string }>().id)).size).toBe(1);
    expect(await documentCount(user.id)).toBe(1);
    expect((await blobFiles()).length).toBe(blobsBefore + 1);
  });

  it('keeps the same bytes of two owners apart', async () => {
    const [a, b] = [await registerUser(t), await registerUser(t)];
    const data = markdown('glaciers');
    const first = await upload(t, a.token, { fileName: 'g.md', data });
    const second = await upload(t, b.token, { fileName: 'g.md', data });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(first.json<{ id: string }>().id).not.toBe(second.json<{ id: string }>().id);
  });

  it('stores a path-traversal file name as metadata only', async () => {
    const user = await registerUser(t);
    const res = await upload(t, user.token, {
      fileName: '../../../etc/passwd.txt',
      data: 'plain words here',
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ fileName: 'passwd.txt', title: 'passwd', mime: 'text/plain' });
    const file = await get(t, user.token, `/api/v1/documents/${res.json<{ id: string }>().id}/file`);
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe('plain words here');
    expect(file.headers['content-disposition']).toBe(
      `attachment; filename="passwd.txt"; filename*=UTF-8''passwd.txt`,
    );
    const ranged = await t.app.inject({
      method: 'GET',
      url: `/api/v1/documents/${res.json<{ id: string }>().id}/file`,
      headers: { authorization: `Bearer ${user.token}`, range: 'bytes=6-10' },
    });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.body).toBe('words');
  });
});

describe('refused uploads leave nothing behind', () => {
  it('refuses PNG bytes named .pdf (415) and unknown binary (415)', async () => {
    const user = await registerUser(t);
    const blobsBefore = await blobFiles();
    const spoofed = await upload(t, user.token, {
      fileName: 'report.pdf',
      contentType: 'application/pdf',
      data: PNG,
    });
    expect(spoofed.statusCode).toBe(415);
    expect(spoofed.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(spoofed.json()).toMatchObject({ code: 'DOCUMENT_TYPE_MISMATCH' });
    const png = await upload(t, user.token, { fileName: 'image.png', contentType: 'image/png', data: PNG });
    expect(png.json()).toMatchObject({ status: 415, code: 'DOCUMENT_UNSUPPORTED_TYPE' });
    const textAsPdf = await upload(t, user.token, { fileName: 'notes.pdf', data: 'just text' });
    expect(textAsPdf.json()).toMatchObject({ status: 415, code: 'DOCUMENT_TYPE_MISMATCH' });
    expect(await blobFiles()).toEqual(blobsBefore);
    expect(await documentCount(user.id)).toBe(0);
  });

  it('refuses a file over MAX_UPLOAD_BYTES with 413 and removes the partial blob', async () => {
    const user = await registerUser(t);
    const blobsBefore = await blobFiles();
    const res = await upload(t, user.token, { fileName: 'big.txt', data: 'x'.repeat(250_000) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'DOCUMENT_TOO_LARGE' });
    expect(await blobFiles()).toEqual(blobsBefore);
    expect(await documentCount(user.id)).toBe(0);
  });

  it('refuses uploads past the storage quota with 413, and frees quota on delete', async () => {
    const user = await registerUser(t);
    const ok = await upload(t, user.token, { fileName: 'a.txt', data: 'a'.repeat(150_000) });
    const ok2 = await upload(t, user.token, { fileName: 'b.txt', data: 'b'.repeat(150_000) });
    expect([ok.statusCode, ok2.statusCode]).toEqual([201, 201]);
    const blobsBefore = await blobFiles();
    const over = await upload(t, user.token, { fileName: 'c.txt', data: 'c'.repeat(150_000) });
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ code: 'DOCUMENT_QUOTA_EXCEEDED' });
    expect(await blobFiles()).toEqual(blobsBefore);
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/documents/${ok.json<{ id: string }>().id}`,
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(removed.statusCode).toBe(204);
    const now = await upload(t, user.token, { fileName: 'c.txt', data: 'c'.repeat(150_000) });
    expect(now.statusCode).toBe(201);
  });

  it('answers a request without a file, an unknown field or a JSON body with a problem', async () => {
    const user = await registerUser(t);
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/v1/documents',
      headers: { authorization: `Bearer ${user.token}` },
      payload: { file: 'nope' },
    });
    expect(json.json()).toMatchObject({ status: 415, code: 'DOCUMENT_NOT_MULTIPART' });
    const unknown = await upload(t, user.token, { fileName: 'a.txt', data: 'words' }, { owner: 'someone' });
    expect(unknown.json()).toMatchObject({ status: 400, code: 'DOCUMENT_INVALID_FIELD' });
    const badKind = await upload(t, user.token, { fileName: 'a.txt', data: 'words' }, { kind: 'poem' });
    expect(badKind.json()).toMatchObject({ status: 400, code: 'DOCUMENT_INVALID_FIELD' });
    const empty = await upload(t, user.token, { fileName: 'a.txt', data: '' });
    expect(empty.json()).toMatchObject({ status: 422, code: 'DOCUMENT_EMPTY' });
    expect(await documentCount(user.id)).toBe(0);
  });
});

describe('idempotency', () => {
  it('replays the first answer for a repeated key and refuses the key for another file', async () => {
    const user = await registerUser(t);
    const key = { 'idempotency-key': 'upload-1' };
    const first = await upload(t, user.token, { fileName: 'x.md', data: markdown('volcanoes') }, {}, key);
    expect(first.statusCode).toBe(201);
    const replay = await upload(t, user.token, { fileName: 'x.md', data: markdown('volcanoes') }, {}, key);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const other = await upload(t, user.token, { fileName: 'y.md', data: markdown('deserts') }, {}, key);
    expect(other.json()).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await documentCount(user.id)).toBe(1);
  });
});

describe('privacy', () => {
  it('answers another user’s document with the same 404 as a missing one, everywhere', async () => {
    const [owner, other] = [await registerUser(t), await registerUser(t)];
    const res = await upload(t, owner.token, { fileName: 'secret.md', data: markdown('secrets') });
    const id = res.json<{ id: string }>().id;
    await settle(t, owner.token, id);
    const missing = '01890000-0000-7000-8000-000000000000';
    for (const suffix of ['', '/file', '/summary', '/chunks', '/events']) {
      const theirs = await get(t, other.token, `/api/v1/documents/${id}${suffix}`);
      const none = await get(t, other.token, `/api/v1/documents/${missing}${suffix}`);
      expect(theirs.statusCode, suffix).toBe(404);
      expect(theirs.json<{ code: string }>().code).toBe(none.json<{ code: string }>().code);
    }
    for (const method of ['DELETE', 'PATCH'] as const) {
      const theirs = await t.app.inject({
        method,
        url: `/api/v1/documents/${id}`,
        headers: { authorization: `Bearer ${other.token}` },
        ...(method === 'PATCH' ? { payload: { title: 'mine now' } } : {}),
      });
      expect(theirs.statusCode, method).toBe(404);
    }
    const reprocess = await t.app.inject({
      method: 'POST',
      url: `/api/v1/documents/${id}/reprocess`,
      headers: { authorization: `Bearer ${other.token}` },
    });
    expect(reprocess.statusCode).toBe(404);
    const list = await get(t, other.token, '/api/v1/documents');
    expect(list.json<{ items: unknown[] }>().items).toEqual([]);
    const tags = await get(t, other.token, '/api/v1/tags');
    expect(tags.json()).toEqual({ items: [] });
  });
});

describe('stories, tags, edits and deletion', () => {
  it('creates a story from JSON through the same pipeline and lists it under stories only', async () => {
    const user = await registerUser(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/stories',
      headers: { authorization: `Bearer ${user.token}` },
      payload: { title: 'The lighthouse', text: markdown('the lighthouse keeper', 10), tags: ['Sea'] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const story = res.json<UploadedDocument & { kind: string }>();
    expect(story).toMatchObject({ kind: 'story', title: 'The lighthouse', tags: ['sea'] });
    await upload(t, user.token, { fileName: 'doc.md', data: markdown('not a story') });
    expect((await settle(t, user.token, story.id)).status).toBe('ready');
    const stories = await get(t, user.token, '/api/v1/stories');
    expect(stories.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([story.id]);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/stories',
      headers: { authorization: `Bearer ${user.token}` },
      payload: { title: 'Same text', text: markdown('the lighthouse keeper', 10) },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicateOf: story.id });
  });

  it('renames, retags, counts tags, reprocesses and deletes (blob removed through the outbox)', async () => {
    const user = await registerUser(t);
    const auth = { authorization: `Bearer ${user.token}` };
    const a = (
      await upload(t, user.token, { fileName: 'a.md', data: markdown('moss') }, { tags: 'green,plants' })
    ).json<UploadedDocument>();
    const b = (
      await upload(t, user.token, { fileName: 'b.md', data: markdown('ferns') }, { tags: 'green' })
    ).json<UploadedDocument>();
    const counts = await get(t, user.token, '/api/v1/tags');
    expect(counts.json()).toEqual({
      items: [
        { tag: 'green', count: 2 },
        { tag: 'plants', count: 1 },
      ],
    });

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/documents/${a.id}`,
      headers: auth,
      payload: { title: 'Mosses', tags: ['bryophytes'] },
    });
    expect(patched.json()).toMatchObject({ title: 'Mosses', tags: ['bryophytes'] });
    expect((await get(t, user.token, '/api/v1/tags')).json()).toEqual({
      items: [
        { tag: 'bryophytes', count: 1 },
        { tag: 'green', count: 1 },
      ],
    });
    const byTag = await get(t, user.token, '/api/v1/documents?tag=green');
    expect(byTag.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([b.id]);

    await settle(t, user.token, a.id);
    const reprocessed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/documents/${a.id}/reprocess`,
      headers: auth,
    });
    expect(reprocessed.statusCode, reprocessed.body).toBe(202);
    expect(reprocessed.json()).toMatchObject({ status: 'queued', generation: 2 });
    expect((await settle(t, user.token, a.id)).status).toBe('ready');

    const blob = (
      await t.deps.database.db
        .selectFrom('documents')
        .select('blob_key')
        .where('id', '=', a.id)
        .executeTakeFirstOrThrow()
    ).blob_key;
    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/documents/${a.id}`, headers: auth });
    expect(removed.statusCode).toBe(204);
    expect((await get(t, user.token, `/api/v1/documents/${a.id}`)).statusCode).toBe(404);
    // The running relay deletes the blob after the commit.
    await vi.waitFor(async () => expect(await t.deps.storage.head(blob)).toBeUndefined(), { timeout: 5000 });
    const chunks = await t.deps.database.db
      .selectFrom('chunks')
      .select('id')
      .where('document_id', '=', a.id)
      .execute();
    expect(chunks).toEqual([]);
  });
});

describe('account deletion', () => {
  it('removes every document of a deleted account with its blobs, through the outbox', async () => {
    const user = await registerUser(t);
    const ids: string[] = [];
    for (const topic of ['comets', 'nebulae', 'quasars']) {
      ids.push(
        (
          await upload(t, user.token, { fileName: `${topic}.md`, data: markdown(topic) })
        ).json<UploadedDocument>().id,
      );
    }
    const keys = (
      await t.deps.database.db
        .selectFrom('documents')
        .select('blob_key')
        .where('owner_id', '=', user.id)
        .execute()
    ).map((r) => r.blob_key);
    expect(keys).toHaveLength(3);
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(deleted.statusCode).toBe(204);
    await vi.waitFor(
      async () => {
        expect(await documentCount(user.id)).toBe(0);
        for (const key of keys) expect(await t.deps.storage.head(key)).toBeUndefined();
      },
      { timeout: 10_000, interval: 100 },
    );
  });
});

describe('API reference', () => {
  it('documents the upload as a multipart form with a binary file', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    }>();
    const form = doc.paths['/api/v1/documents']!.post!.requestBody!.content['multipart/form-data']!.schema;
    expect(form).toMatchObject({
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' }, tags: { type: 'string' } },
    });
  });
});
