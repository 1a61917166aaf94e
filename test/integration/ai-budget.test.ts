import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAiUsageRepository,
  createTokenBudget,
  pruneAiUsage,
} from '../../src/modules/ai-usage/index.ts';
import { startFakeOpenAi, type FakeOpenAi, type RecordedRequest } from '../fakes/openai-server.ts';
import { registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// AI_DAILY_TOKENS: every model call is charged to the user it serves; once today's tokens are spent the next
// call is refused with 429 until UTC midnight. The fake server reports usage as word counts, so the
// expected numbers are computed from what it received.
const DAILY_TOKENS = 250;
let fake: FakeOpenAi;
let t: TestApp;
beforeAll(async () => {
  fake = await startFakeOpenAi();
  fake.reply('Three word answer.');
  t = await createTestApp({
    AI_BASE_URL: fake.url,
    AI_DAILY_TOKENS: String(DAILY_TOKENS),
    // The fake's vectors, for the upload below.
    AI_EMBEDDING_DIMENSIONS: '8',
  });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
/** What the fake charged for one chat request: prompt words plus the answer's. */
const cost = (request: RecordedRequest) =>
  (request.body.messages ?? []).reduce((sum, m) => sum + words(m.content), 0) + words('Three word answer.');
const chatRequests = () => fake.requests.filter((r) => r.path === '/v1/chat/completions');

const PASSAGE =
  'The harbour pilots guide every large vessel through the narrow channel at dawn. They read the tide ' +
  'tables, the wind and the depth of the water before each turn. ';
let seq = 0;
const fresh = () => `${PASSAGE}Passage ${++seq} ended without delay.`;

function summarize(token: string, text: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/ai/text',
    headers: { authorization: `Bearer ${token}` },
    payload: { operation: 'summarize', text },
  });
}

async function usage(token: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: '/api/v1/me/ai-usage',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ limit: number; used: number; remaining: number; resetsAt: string }>();
}

function nextUtcMidnight(): string {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
}

describe('daily AI token budget', () => {
  it('charges each call, refuses with 429 once spent, and leaves other users alone', async () => {
    const [a, b] = await Promise.all([registerUser(t), registerUser(t)]);
    expect(await usage(a.token)).toEqual({
      limit: DAILY_TOKENS,
      used: 0,
      remaining: DAILY_TOKENS,
      resetsAt: nextUtcMidnight(),
    });

    // Calls go through while anything is left; the call that crosses the limit still finishes.
    let spent = 0;
    const cached = fresh();
    let text = cached;
    while (spent < DAILY_TOKENS) {
      const before = chatRequests().length;
      const res = await summarize(a.token, text);
      expect(res.statusCode, res.body).toBe(200);
      const sent = chatRequests().slice(before);
      expect(sent).toHaveLength(1);
      spent += cost(sent[0]!);
      expect(await usage(a.token)).toMatchObject({
        used: spent,
        remaining: Math.max(0, DAILY_TOKENS - spent),
      });
      text = fresh();
    }

    const before = chatRequests().length;
    const refused = await summarize(a.token, text);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ status: 429, code: 'AI_BUDGET_EXCEEDED' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
    expect(Math.abs(Date.now() + retryAfter * 1000 - Date.parse(nextUtcMidnight()))).toBeLessThan(60_000);
    expect(chatRequests().length).toBe(before);
    expect(await usage(a.token)).toEqual({
      limit: DAILY_TOKENS,
      used: spent,
      remaining: 0,
      resetsAt: nextUtcMidnight(),
    });

    // What was already answered costs nothing and is still served.
    const fromCache = await summarize(a.token, cached);
    expect(fromCache.statusCode).toBe(200);
    expect(fromCache.json()).toMatchObject({ cached: true });

    // Another user's budget is their own.
    const other = await summarize(b.token, text);
    expect(other.statusCode, other.body).toBe(200);
    const otherCost = cost(chatRequests().at(-1)!);
    expect(await usage(b.token)).toMatchObject({ used: otherCost, remaining: DAILY_TOKENS - otherCost });
    expect((await usage(a.token)).used).toBe(spent);
  });

  it('summarizes an upload extractively once its owner has spent the day, calling no model for it', async () => {
    const { token } = await registerUser(t);
    while ((await usage(token)).remaining > 0) expect((await summarize(token, fresh())).statusCode).toBe(200);
    const before = chatRequests().length;
    const res = await upload(t, token, { fileName: 'pilots.txt', data: PASSAGE.repeat(20) });
    expect(res.statusCode, res.body).toBe(201);
    await t.deps.startBackground({ workers: true });
    const document = await settle(t, token, res.json<UploadedDocument>().id);
    expect(document.status, document.error ?? '').toBe('ready');
    const summary = await t.app.inject({
      method: 'GET',
      url: `/api/v1/documents/${document.id}/summary`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(summary.json()).toMatchObject({
      method: 'extractive',
      note: expect.stringMatching(/daily AI token budget was spent/),
    });
    expect(chatRequests().length).toBe(before);
  });

  it('allows no model call at all with AI_DAILY_TOKENS=0', async () => {
    const { id } = await registerUser(t);
    const off = createTokenBudget({ usage: createAiUsageRepository(t.deps.database), dailyTokens: 0 });
    const refusal = await off.assertAvailable(id).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'AI_BUDGET_EXCEEDED', status: 429, headers: {} });
    expect(await off.status(id)).toMatchObject({ limit: 0, used: 0, remaining: 0 });
  });

  it("drops a deleted user's usage, and the daily prune drops old days", async () => {
    const { id, token } = await registerUser(t);
    expect((await summarize(token, fresh())).statusCode).toBe(200);
    const rows = () =>
      t.deps.database.db.selectFrom('ai_usage').select('user_id').where('user_id', '=', id).execute();
    // Read through the budget first: it waits for the charge, which the answer did not wait for.
    expect((await usage(token)).used).toBeGreaterThan(0);
    expect(await rows()).toHaveLength(1);
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(deleted.statusCode).toBe(204);
    expect(await rows()).toHaveLength(0);

    // A charge for a user deleted meanwhile is dropped rather than failing on the foreign key.
    await t.deps.budget.charge(id, 10);
    expect(await rows()).toHaveLength(0);

    const keeper = await registerUser(t);
    const repository = createAiUsageRepository(t.deps.database);
    await repository.add(keeper.id, '2020-01-01', 5);
    await repository.add(keeper.id, new Date().toISOString().slice(0, 10), 7);
    expect(await pruneAiUsage(repository)).toBeGreaterThanOrEqual(1);
    expect(await repository.tokensOn(keeper.id, '2020-01-01')).toBe(0);
    expect((await usage(keeper.token)).used).toBe(7);
  });
});
