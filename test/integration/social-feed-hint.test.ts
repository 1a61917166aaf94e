// The "new posts" hint: after fan-out, each recipient subscribed to `user:<id>` on GET /api/v1/ws gets
// `{type: 'feed.new', postId}` — on a real listening socket (DESIGN §10), never for a post outside their audience.
import { describe, expect, it } from 'vitest';
import { registerUser } from '../harness/library.ts';
import { connect, createTag, post, setTags, settleFeeds } from '../harness/social.ts';
import { listeningApp } from '../harness/listening-app.ts';
import type { WsClient } from '../harness/ws-client.ts';

const app = listeningApp({ RATE_LIMIT: 'off', OUTBOX_POLL_MS: '20' });

const hintsOf = (client: WsClient) => client.messages.filter((m) => m.op === 'msg').map((m) => m.data);

describe('the feed.new hint', () => {
  it('reaches a subscribed connection in the audience with ids only, and never one outside it', async () => {
    const [author, insider, outsider, stranger] = await Promise.all([
      registerUser(app.t),
      registerUser(app.t),
      registerUser(app.t),
      registerUser(app.t),
    ]);
    await connect(app.t, author, insider);
    await connect(app.t, author, outsider);
    const inner = await createTag(app.t, author, 'inner');
    await setTags(app.t, author, insider, [inner]);
    await settleFeeds(app.t);
    const insiderSocket = await app.ownChannel(insider);
    const outsiderSocket = await app.ownChannel(outsider);
    const strangerSocket = await app.ownChannel(stranger);

    const restricted = await post(app.t, author, 'only for the inner circle', [inner]);
    await settleFeeds(app.t);
    const open = await post(app.t, author, 'for every connection');
    await settleFeeds(app.t);

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
