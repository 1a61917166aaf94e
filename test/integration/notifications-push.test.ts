// A course's notification pushed over the WebSocket (real socket): when the course becomes ready, the owner's
// `user:<id>` channel hears `{type: 'notification', id, kind}` of the stored notification, once; nobody else does.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { userTopic } from '../../src/modules/realtime/index.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';
import { openWs, wsUrl, type ServerMessage, type WsClient } from '../harness/ws-client.ts';

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

/** A socket of `user`'s subscribed to their own `user:` channel. */
async function listening(user: { id: string; token: string }): Promise<WsClient> {
  const client = await openWs(wsUrl(base, user.token));
  clients.push(client);
  const ch = `user:${user.id}`;
  client.send({ op: 'sub', ch, id: 'me' });
  expect(await client.waitFor((m) => m.id === 'me')).toEqual({ op: 'ack', ch, id: 'me' });
  return client;
}

const pushes = (client: WsClient) =>
  client.messages.filter(
    (m: ServerMessage) => m.op === 'msg' && (m.data as { type: string }).type !== 'marker',
  );

it('pushes the stored notification to its owner when the course is ready, once, and to nobody else', async () => {
  const [owner, other] = [await registerUser(t), await registerUser(t)];
  const text = `# Tides\n\n## The moon\n\n${'The moon pulls the oceans and raises the tides twice a day. '.repeat(30)}\n`;
  const uploaded = await upload(t, owner.token, {
    fileName: 'tides.md',
    contentType: 'text/markdown',
    data: text,
  });
  const { id: documentId } = uploaded.json<UploadedDocument>();
  expect((await settle(t, owner.token, documentId)).status).toBe('ready');
  const [mine, theirs] = [await listening(owner), await listening(other)];

  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/courses',
    headers: { authorization: `Bearer ${owner.token}` },
    payload: { documentIds: [documentId] },
  });
  expect(created.statusCode, created.body).toBe(202);
  const courseId = created.json<{ course: { id: string } }>().course.id;

  const push = await mine.waitFor((m) => m.op === 'msg');
  const stored = (await get(t, owner.token, '/api/v1/notifications')).json<{
    items: { id: string; kind: string; subjectId: string }[];
  }>().items;
  expect(stored).toHaveLength(1);
  expect(stored[0]).toMatchObject({ kind: 'course.ready', subjectId: courseId });
  // Ids and the kind only: the client fetches the rest over HTTP.
  expect(push).toEqual({
    op: 'msg',
    ch: `user:${owner.id}`,
    seq: 1,
    data: { type: 'notification', id: stored[0]!.id, kind: 'course.ready' },
  });

  // Once every delivery is done, nothing more is coming to either socket.
  await vi.waitFor(
    async () => {
      const undelivered = await t.deps.database.db
        .selectFrom('outbox_deliveries')
        .select('consumer')
        .where('delivered_at', 'is', null)
        .execute();
      expect(undelivered).toEqual([]);
    },
    { timeout: 20_000, interval: 50 },
  );
  // A marker published after every delivery arrives after anything they pushed (one publisher, one order).
  for (const [user, client] of [
    [owner, mine],
    [other, theirs],
  ] as const) {
    await t.deps.pubsub.publish(userTopic(user.id), { type: 'marker' });
    await client.waitFor((m) => (m.data as { type?: string } | undefined)?.type === 'marker');
  }
  expect(pushes(mine)).toHaveLength(1);
  expect(pushes(theirs)).toEqual([]);
});
