// A deck's generation job over the WebSocket (real socket): the job channel the POST answers with carries the
// deck's `{status, progress}` to its owner, snapshot first, and to nobody else; deck and course job ids differ.
import { expect, it } from 'vitest';
import { registerUser } from '../harness/library.ts';
import { listeningApp } from '../harness/listening-app.ts';

const app = listeningApp();

it("streams a deck job's progress to its owner only, snapshot first, until ready", async () => {
  const [owner, other] = [await registerUser(app.t), await registerUser(app.t)];
  const created = await app.t.app.inject({
    method: 'POST',
    url: '/api/v1/presentations',
    headers: { authorization: `Bearer ${owner.token}` },
    payload: {
      prompt: 'Tides. The moon. Spring tides.',
      numCards: 3,
      style: 'plain',
      templateId: 'minimal',
      themeId: 'paper',
    },
  });
  expect(created.statusCode, created.body).toBe(202);
  const jobId = created.json<{ jobId: string }>().jobId;
  expect(jobId).toMatch(/^presentation\.generate-/);
  const ch = `job:${jobId}`;

  const mine = await app.connect(owner.token);
  mine.send({ op: 'sub', ch, id: 'deck' });
  expect(await mine.waitFor((m) => m.id === 'deck')).toEqual({ op: 'ack', ch, id: 'deck' });
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
