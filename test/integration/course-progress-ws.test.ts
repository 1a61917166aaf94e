// A course's generation job over the WebSocket (real socket): the job channel the POST answers with carries the
// course's `{status, progress}` to its owner, snapshot first, and to nobody else.
import { expect, it } from 'vitest';
import { registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { listeningApp } from '../harness/listening-app.ts';

const app = listeningApp();

it("streams a course job's progress to its owner only, snapshot first, until ready", async () => {
  const [owner, other] = [await registerUser(app.t), await registerUser(app.t)];
  const text = `# Tides\n\n## The moon\n\n${'The moon pulls the oceans and raises the tides twice a day. '.repeat(30)}\n`;
  const uploaded = await upload(app.t, owner.token, {
    fileName: 'tides.md',
    contentType: 'text/markdown',
    data: text,
  });
  const { id: documentId } = uploaded.json<UploadedDocument>();
  expect((await settle(app.t, owner.token, documentId)).status).toBe('ready');

  const created = await app.t.app.inject({
    method: 'POST',
    url: '/api/v1/courses',
    headers: { authorization: `Bearer ${owner.token}` },
    payload: { documentIds: [documentId] },
  });
  expect(created.statusCode, created.body).toBe(202);
  const ch = `job:${created.json<{ jobId: string }>().jobId}`;

  const mine = await app.connect(owner.token);
  mine.send({ op: 'sub', ch, id: 'course' });
  expect(await mine.waitFor((m) => m.id === 'course')).toEqual({ op: 'ack', ch, id: 'course' });
  await mine.waitFor((m) => m.ch === ch && (m.data as { status?: string })?.status === 'ready');
  const stream = mine.messages.filter((m) => m.op === 'msg' && m.ch === ch);
  expect(stream[0]!.seq).toBe(0);
  for (const m of stream) expect(Object.keys(m.data as object).sort()).toEqual(['progress', 'status']);
  expect(stream.at(-1)!.data).toEqual({ status: 'ready', progress: 100 });

  const theirs = await app.connect(other.token);
  theirs.send({ op: 'sub', ch, id: 'peek' });
  const refused = await theirs.waitFor((m) => m.id === 'peek');
  expect(refused).toMatchObject({ op: 'err', ch, data: { code: 'REALTIME_CHANNEL_NOT_FOUND' } });
});
