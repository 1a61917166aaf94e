// The "new posts" hint: after fan-out, each recipient subscribed to `user:<id>` on GET /api/v1/ws gets
// `{type: 'feed.new', postId}` — on a real listening socket (DESIGN §10), never for a post outside their audience.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../harness/library.ts';
import { connect, createTag, post, setTags, settleFeeds, type User } from '../harness/social.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';
import { openWs, wsUrl, type WsClient } from '../harness/ws-client.ts';

let t: TestApp;
let base: string;
const clients: WsClient[] = [];

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT: 'off', OUTBOX_POLL_MS: '20' });
  await t.deps.startBackground({ workers: true });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await t.close();
});

/** A socket subscribed to the user's own channel. */
async function listen(user: User): Promise<WsClient> {
  const client = await openWs(wsUrl(base, user.token));
  clients.push(client);
  client.send({ op: 'sub', ch: `user:${user.id}`, id: 'feed' });
  await client.waitFor((m) => m.id === 'feed' && m.op === 'ack');
  return client;
}

const hintsOf = (client: WsClient) => client.messages.filter((m) => m.op === 'msg').map((m) => m.data);

describe('the feed.new hint', () => {
  it('reaches a subscribed connection in the audience with ids only, and never one outside it', async () => {
    const [author, insider, outsider, stranger] = await Promise.all([
      registerUser(t),
      registerUser(t),
      registerUser(t),
      registerUser(t),
    ]);
    await connect(t, author, insider);
    await connect(t, author, outsider);
    const inner = await createTag(t, author, 'inner');
    await setTags(t, author, insider, [inner]);
    await settleFeeds(t);
    const insiderSocket = await listen(insider);
    const outsiderSocket = await listen(outsider);
    const strangerSocket = await listen(stranger);

    const restricted = await post(t, author, 'only for the inner circle', [inner]);
    await settleFeeds(t);
    const open = await post(t, author, 'for every connection');
    await settleFeeds(t);

    // Hints on one channel arrive in publishing order: once the later post's hint is in, the earlier one would be.
    const hint = (postId: string) => ({ type: 'feed.new', postId });
    await insiderSocket.waitFor((m) => m.op === 'msg' && (m.data as { postId?: string }).postId === open.id);
    await outsiderSocket.waitFor((m) => m.op === 'msg' && (m.data as { postId?: string }).postId === open.id);
    expect(hintsOf(insiderSocket)).toEqual([hint(restricted.id), hint(open.id)]);
    expect(hintsOf(outsiderSocket)).toEqual([hint(open.id)]);
    expect(JSON.stringify(outsiderSocket.messages)).not.toContain(restricted.id);
    expect(hintsOf(strangerSocket)).toEqual([]);
  });
});
