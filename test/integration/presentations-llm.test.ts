import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeOpenAi, type FakeOpenAi, type FakeRequestBody } from '../fakes/openai-server.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Decks made by a chat model (the fake OpenAI server): one outline call, then one structured call per slide;
// invalid answers repaired or failed cleanly; the owner's cache; and the answers when the model is down, fails
// for an AI-only request, or hangs past AI_TIMEOUT_MS.
let fake: FakeOpenAi;
let t: TestApp;
let owner: { id: string; token: string };
let documentId: string;

const TEXT = [
  '# Harbour pilotage',
  'Harbour pilots guide every large vessel through the narrow channel at dawn. They read the tide tables, the wind and the depth of the water before each turn.',
  '## Boarding',
  'A pilot boards the ship from a small launch while both boats keep moving. Boarding ladders are checked before every transfer.',
  '## Dredging',
  'The channel silts up every winter, so dredgers clear it before the spring traffic. The pilots keep a log of every passage, which the harbour uses to plan dredging.',
].join('\n\n');

type Mode = 'valid' | 'repairable' | 'invalid';
let outlineMode: Mode = 'valid';
let slideMode: Mode = 'valid';

const schemaName = (body: FakeRequestBody) => body.response_format?.json_schema?.name;
const isRepair = (body: FakeRequestBody) =>
  body.messages?.some((m) => m.content.includes('Validation errors'));
const lastUserText = (body: FakeRequestBody) => body.messages!.filter((m) => m.role === 'user')[0]!.content;
const requestsNamed = (name: string) => fake.requests.filter((r) => schemaName(r.body) === name);
const answers = (mode: Mode, body: FakeRequestBody) =>
  mode === 'valid' || (mode === 'repairable' && isRepair(body));

function outlineAnswer(body: FakeRequestBody): string {
  const count = Number(/Number of slides: (\d+)/.exec(lastUserText(body))![1]);
  const slides = Array.from({ length: count }, (_, i) => ({
    title: i === 0 ? 'Harbour pilotage' : `Part ${i}`,
    layout: i === 0 ? 'title' : 'title-bullets',
    intent: i === 0 ? 'Open the talk.' : `Explain part ${i} of the pilots’ work.`,
  }));
  // Invalid: one slide short of the count asked for.
  return JSON.stringify({
    title: 'Harbour pilotage',
    slides: answers(outlineMode, body) ? slides : slides.slice(1),
  });
}

function slideAnswer(body: FakeRequestBody): string {
  if (!answers(slideMode, body))
    return slideMode === 'repairable' ? 'Here is your slide!' : '{"content": {}}';
  const layout = /Layout: ([a-z-]+)/.exec(lastUserText(body))![1];
  const content =
    layout === 'title'
      ? { heading: 'Harbour pilotage', subheading: 'How ships cross the channel' }
      : layout === 'quote'
        ? { quote: 'Read the water before each turn.', attribution: null }
        : {
            heading: 'Reading the water',
            bullets: ['Pilots read tide tables, wind and depth before each turn.'],
          };
  return JSON.stringify({ content, imageQuery: 'harbour pilot boat at dawn', sources: [1] });
}

beforeAll(async () => {
  fake = await startFakeOpenAi({ dimensions: 8 });
  fake.reply((body) => {
    if (schemaName(body) === 'deck-outline') return outlineAnswer(body);
    if (schemaName(body) === 'deck-slide') return slideAnswer(body);
    return 'Pilots guide ships through the channel.';
  });
  t = await createTestApp({ AI_BASE_URL: fake.url, AI_EMBEDDING_DIMENSIONS: '8', AI_TIMEOUT_MS: '1000' });
  await t.deps.startBackground({ workers: true });
  owner = await registerUser(t);
  const res = await upload(t, owner.token, {
    fileName: 'pilots.md',
    contentType: 'text/markdown',
    data: TEXT,
  });
  expect(res.statusCode, res.body).toBe(201);
  documentId = (await settle(t, owner.token, res.json<UploadedDocument>().id)).id;
});
afterEach(() => {
  fake.clearFaults();
  outlineMode = 'valid';
  slideMode = 'valid';
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

interface DeckBody {
  id: string;
  status: string;
  slides: { layout: string; imageQuery: string; citations: { documentId: string }[] }[] | null;
  engine: string | null;
  model: string | null;
  degraded: boolean;
  notice: string | null;
  cached: boolean;
  error: string | null;
}

let prompts = 0;
const deckRequest = (overrides: Record<string, unknown> = {}) => ({
  prompt: `Harbour pilotage, talk ${++prompts}`,
  numCards: 4,
  style: 'plain',
  templateId: 'classic',
  themeId: 'paper',
  documentIds: [documentId],
  ...overrides,
});

function post(payload: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/presentations',
    headers: { authorization: `Bearer ${owner.token}` },
    payload,
  });
}

async function finished(id: string): Promise<DeckBody> {
  return vi.waitFor(
    async () => {
      const deck = (await get(t, owner.token, `/api/v1/presentations/${id}`)).json<DeckBody>();
      expect(['ready', 'failed']).toContain(deck.status);
      return deck;
    },
    { timeout: 20_000, interval: 50 },
  );
}

const stored = async () =>
  (
    await t.deps.database.db
      .selectFrom('presentations')
      .select('id')
      .where('owner_id', '=', owner.id)
      .execute()
  ).length;
const cachedFor = (deckId: string) =>
  t.deps.database.db
    .selectFrom('ai_cache')
    .innerJoin('presentations', 'presentations.cache_key', 'ai_cache.key')
    .select('ai_cache.key')
    .where('presentations.id', '=', deckId)
    .execute();

describe('a deck from the model', () => {
  it('makes one outline call for exactly numCards slides, then one call per slide, with citations', async () => {
    const outlines = requestsNamed('deck-outline').length;
    const slides = requestsNamed('deck-slide').length;
    const res = await post(deckRequest());
    expect(res.statusCode, res.body).toBe(202);
    const deck = await finished(res.json<DeckBody>().id);
    expect(deck).toMatchObject({ status: 'ready', engine: 'llm', model: 'gpt-4o-mini', degraded: false });
    expect(deck.slides!.map((s) => s.layout)).toEqual([
      'title',
      'title-bullets',
      'title-bullets',
      'title-bullets',
    ]);
    expect(requestsNamed('deck-outline')).toHaveLength(outlines + 1);
    expect(requestsNamed('deck-slide')).toHaveLength(slides + 4);
    for (const slide of deck.slides!) {
      expect(slide.imageQuery).toBe('harbour pilot boat at dawn');
      expect(slide.citations.length).toBeGreaterThan(0);
      expect(slide.citations[0]).toMatchObject({ documentId });
    }
    expect(await cachedFor(deck.id)).toHaveLength(1);
  });

  it('answers the identical second request from the cache without a model call', async () => {
    const payload = deckRequest();
    const first = await post(payload);
    await finished(first.json<DeckBody>().id);
    const before = fake.requests.length;
    const second = await post({ ...payload, themeId: 'sunset' });
    expect(second.statusCode).toBe(200);
    expect(second.json<DeckBody>()).toMatchObject({ cached: true, status: 'ready', engine: 'llm' });
    expect(fake.requests).toHaveLength(before);
  });
});

describe('regenerating one slide', () => {
  it('remakes only that slide, in one structured call, in the layout asked for', async () => {
    const res = await post(deckRequest({ numCards: 3 }));
    const before = await finished(res.json<DeckBody>().id);
    const slides = requestsNamed('deck-slide').length;
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/presentations/${before.id}/slides/1/regenerate`,
      headers: { authorization: `Bearer ${owner.token}` },
      payload: { layout: 'quote' },
    });
    expect(again.statusCode, again.body).toBe(202);
    const after = await vi.waitFor(
      async () => {
        const deck = await finished(before.id);
        expect(deck.slides![1]!.layout).toBe('quote');
        return deck;
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(after).toMatchObject({ status: 'ready', engine: 'llm' });
    expect(after.slides![1]!.citations[0]).toMatchObject({ documentId });
    expect([after.slides![0], after.slides![2]]).toEqual([before.slides![0], before.slides![2]]);
    expect(requestsNamed('deck-slide')).toHaveLength(slides + 1);
    expect(requestsNamed('deck-slide').at(-1)!.body.messages!.at(-1)!.content).toContain(
      '2. Part 1  <- this slide',
    );
  });
});

describe('schema-invalid model output', () => {
  it('is repaired: a slide answer that is not JSON gets a repair round', async () => {
    slideMode = 'repairable';
    const slides = requestsNamed('deck-slide').length;
    const res = await post(deckRequest({ numCards: 2 }));
    const deck = await finished(res.json<DeckBody>().id);
    expect(deck).toMatchObject({ status: 'ready', engine: 'llm' });
    expect(requestsNamed('deck-slide')).toHaveLength(slides + 4);
  });

  it('otherwise fails cleanly: an outline never valid answers 502 and stores nothing', async () => {
    outlineMode = 'invalid';
    const before = await stored();
    const outlines = requestsNamed('deck-outline').length;
    const res = await post(deckRequest());
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ code: 'GENERATION_INVALID_OUTPUT' });
    expect(requestsNamed('deck-outline')).toHaveLength(outlines + 3);
    expect(await stored()).toBe(before);
  });

  it('otherwise fails cleanly: slides never valid end the deck failed, with no slides and nothing cached', async () => {
    slideMode = 'invalid';
    const res = await post(deckRequest({ numCards: 2 }));
    expect(res.statusCode).toBe(202);
    const deck = await finished(res.json<DeckBody>().id);
    expect(deck).toMatchObject({ status: 'failed', slides: null });
    expect(deck.error).toMatch(/did not match the expected structure after 2 repair rounds/);
    expect(await cachedFor(deck.id)).toEqual([]);
  });
});

describe('when the model is down or too slow', () => {
  it('answers with the extractive deck, degraded, and does not cache it', async () => {
    fake.fail('500', 3, '/v1/chat/completions');
    const res = await post(deckRequest());
    expect(res.statusCode, res.body).toBe(200);
    const deck = res.json<DeckBody>();
    expect(deck).toMatchObject({ status: 'ready', engine: 'extractive', degraded: true, cached: false });
    expect(deck.notice).toMatch(/degraded/i);
    expect(deck.slides!.length).toBeGreaterThan(1);
    expect(deck.slides![1]!.citations[0]).toMatchObject({ documentId });
    expect(await cachedFor(deck.id)).toEqual([]);
  });

  it('answers an AI-only request with 503 and Retry-After, storing nothing', async () => {
    fake.fail('500', 3, '/v1/chat/completions');
    const before = await stored();
    const res = await post(deckRequest({ engine: 'model' }));
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'AI_UNAVAILABLE' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(await stored()).toBe(before);
  });

  it('ends a hanging model call by the deadline (AI_TIMEOUT_MS) with the degraded deck', async () => {
    fake.fail('hang', 3, '/v1/chat/completions');
    const res = await post(deckRequest());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<DeckBody>()).toMatchObject({ engine: 'extractive', degraded: true });
  });
});
