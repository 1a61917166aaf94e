// A course's notification pushed over the WebSocket (real socket): when the course becomes ready, the owner's
// `user:<id>` channel hears `{type: 'notification', id, kind}` of the stored notification, once; nobody else does.
import { expect, it, vi } from 'vitest';
import { userTopic } from '../../src/modules/realtime/index.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { listeningApp } from '../harness/listening-app.ts';
import type { ServerMessage, WsClient } from '../harness/ws-client.ts';

const app = listeningApp();

const pushes = (client: WsClient) =>
  client.messages.filter(
    (m: ServerMessage) => m.op === 'msg' && (m.data as { type: string }).type !== 'marker',
  );

it('pushes the stored notification to its owner when the course is ready, once, and to nobody else', async () => {
  const [owner, other] = [await registerUser(app.t), await registerUser(app.t)];
  const text = `# Tides\n\n## The moon\n\n${'The moon pulls the oceans and raises the tides twice a day. '.repeat(30)}\n`;
  const uploaded = await upload(app.t, owner.token, {
    fileName: 'tides.md',
    contentType: 'text/markdown',
    data: text,
  });
  const { id: documentId } = uploaded.json<UploadedDocument>();
  expect((await settle(app.t, owner.token, documentId)).status).toBe('ready');
  const [mine, theirs] = [await app.ownChannel(owner), await app.ownChannel(other)];

  const created = await app.t.app.inject({
    method: 'POST',
    url: '/api/v1/courses',
    headers: { authorization: `Bearer ${owner.token}` },
    payload: { documentIds: [documentId] },
  });
  expect(created.statusCode, created.body).toBe(202);
  const courseId = created.json<{ course: { id: string } }>().course.id;

  const push = await mine.waitFor((m) => m.op === 'msg');
  const stored = (await get(app.t, owner.token, '/api/v1/notifications')).json<{
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
      const undelivered = await app.t.deps.database.db
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
    await app.t.deps.pubsub.publish(userTopic(user.id), { type: 'marker' });
    await client.waitFor((m) => (m.data as { type?: string } | undefined)?.type === 'marker');
  }
  expect(pushes(mine)).toHaveLength(1);
  expect(pushes(theirs)).toEqual([]);
});
