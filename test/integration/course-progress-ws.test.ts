// A course's generation job over the WebSocket (real socket): the job channel the POST answers with carries the
// course's `{status, progress}` to its owner, snapshot first, and to nobody else.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';
import { openWs, wsUrl, type WsClient } from '../harness/ws-client.ts';

let t: TestApp;
let base: string;
const clients: WsClient[] = [];
beforeAll(async () => {
  t = await createTestApp();
  await t.deps.startBackground({ workers: true });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t.close();
});

async function connect(token: string): Promise<WsClient> {
  const client = await openWs(wsUrl(base, token));
  clients.push(client);
  return client;
}

it("streams a course job's progress to its owner only, snapshot first, until ready", async () => {
  const [owner, other] = [await registerUser(t), await registerUser(t)];
  const text = `# Tides\n\n## The moon\n\n${'The moon pulls the oceans and raises the tides twice a day. '.repeat(30)}\n`;
  const uploaded = await upload(t, owner.token, {
    fileName: 'tides.md',
    contentType: 'text/markdown',
    data: text,
  });
  const { id: documentId } = uploaded.json<UploadedDocument>();
  expect((await settle(t, owner.token, documentId)).status).toBe('ready');

  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/courses',
    headers: { authorization: `Bearer ${owner.token}` },
    payload: { documentIds: [documentId] },
  });
  expect(created.statusCode, created.body).toBe(202);
  const ch = `job:${created.json<{ jobId: string }>().jobId}`;

  const mine = await connect(owner.token);
  mine.send({ op: 'sub', ch, id: 'course' });
  expect(await mine.waitFor((m) => m.id === 'course')).toEqual({ op: 'ack', ch, id: 'course' });
  await mine.waitFor((m) => m.ch === ch && (m.data as { status?: string })?.status === 'ready');
  const stream = mine.messages.filter((m) => m.op === 'msg' && m.ch === ch);
  expect(stream[0]!.seq).toBe(0);
  for (const m of stream) expect(Object.keys(m.data as object).sort()).toEqual(['progress', 'status']);
  expect(stream.at(-1)!.data).toEqual({ status: 'ready', progress: 100 });

  const theirs = await connect(other.token);
  theirs.send({ op: 'sub', ch, id: 'peek' });
  const refused = await theirs.waitFor((m) => m.id === 'peek');
  expect(refused).toMatchObject({ op: 'err', ch, data: { code: 'REALTIME_CHANNEL_NOT_FOUND' } });
});
