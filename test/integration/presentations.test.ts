import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LAYOUTS, type LayoutId } from '../../src/modules/generation/presentations/layouts.ts';
import { generatePdf } from '../fixtures/pdfs.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Decks with the local extractive engine (no AI endpoint: the embedded default, and fleet mode without
// AI_BASE_URL): templates and themes, from uploaded documents through the job to cited slides that match their
// layouts' schemas, the owner's cache, theme changes, slide regenerate, others' 404s and bad requests.
let t: TestApp;
let owner: { id: string; token: string };
let other: { id: string; token: string };
let documentId: string;

const page = (n: number) =>
  `Chapter ${n}\n\nHarbour pilots steer ${n * 40} ships a year through channel ${n}. They read tides, wind and ` +
  `depth before each turn. Dredgers clear the silt every winter so that the channel stays open. The pilots ` +
  `keep a log of every passage, which the harbour uses to plan the dredging of channel ${n}.`;

beforeAll(async () => {
  t = await createTestApp();
  await t.deps.startBackground({ workers: true });
  owner = await registerUser(t);
  other = await registerUser(t);
  documentId = await uploaded(owner.token, await generatePdf({ pages: 6, textForPage: page }));
});
afterAll(() => t?.close());

async function uploaded(token: string, data: Buffer): Promise<string> {
  const res = await upload(t, token, { fileName: 'harbour.pdf', contentType: 'application/pdf', data });
  expect(res.statusCode, res.body).toBe(201);
  return (await settle(t, token, res.json<UploadedDocument>().id)).id;
}

interface SlideBody {
  title: string;
  layout: string;
  intent: string;
  content: Record<string, unknown>;
  imageQuery: string;
  citations: { documentId: string; page: number; chunkId: string; quote: string }[];
}
interface DeckBody {
  id: string;
  status: string;
  title: string;
  themeId: string;
  theme: { id: string; colors: Record<string, string> };
  slides: SlideBody[] | null;
  engine: string | null;
  degraded: boolean;
  notice: string | null;
  cached: boolean;
  jobId: string;
  updatedAt: string;
}
interface TemplateBody {
  id: string;
  layouts: { id: string; description: string; schema: Record<string, unknown> }[];
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const deckRequest = (overrides: Record<string, unknown> = {}) => ({
  prompt: 'Harbour pilotage for new harbour staff',
  numCards: 5,
  style: 'plain and practical',
  templateId: 'classic',
  themeId: 'paper',
  documentIds: [documentId],
  ...overrides,
});

function post(payload: Record<string, unknown>, token = owner.token) {
  return t.app.inject({ method: 'POST', url: '/api/v1/presentations', headers: auth(token), payload });
}

async function finished(id: string, token = owner.token): Promise<DeckBody> {
  return vi.waitFor(
    async () => {
      const deck = (await get(t, token, `/api/v1/presentations/${id}`)).json<DeckBody>();
      expect(['ready', 'failed']).toContain(deck.status);
      return deck;
    },
    { timeout: 20_000, interval: 50 },
  );
}

let templates: TemplateBody[];
/** The layout's content schema as GET /templates serves it, checked to be the one slides are validated with. */
function layoutSchema(templateId: string, layout: string) {
  const served = templates.find((tpl) => tpl.id === templateId)!.layouts.find((l) => l.id === layout)!.schema;
  const schema = LAYOUTS[layout as LayoutId].content;
  expect(served).toEqual(JSON.parse(JSON.stringify(schema)));
  return schema;
}

describe('templates and themes', () => {
  it('lists at least 3 templates (layouts with descriptions and schemas) and 4 themes, cacheable for 10 minutes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/templates' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=600');
    templates = res.json<{ items: TemplateBody[] }>().items;
    expect(templates.length).toBeGreaterThanOrEqual(3);
    for (const template of templates) {
      expect(template.layouts.map((l) => l.id)).toContain('title');
      for (const layout of template.layouts) {
        expect(layout.description.length).toBeGreaterThan(10);
        expect(layout.schema).toMatchObject({ type: 'object' });
      }
    }
    const revalidated = await t.app.inject({
      method: 'GET',
      url: '/api/v1/templates',
      headers: { 'if-none-match': String(res.headers.etag) },
    });
    expect(revalidated.statusCode).toBe(304);

    const themes = await t.app.inject({ method: 'GET', url: '/api/v1/themes' });
    expect(themes.statusCode).toBe(200);
    expect(themes.headers.etag).toBeTruthy();
    const items = themes.json<{ items: { id: string; colors: object; fonts: object; radius: number }[] }>()
      .items;
    expect(items.length).toBeGreaterThanOrEqual(4);
    for (const theme of items)
      expect(theme).toMatchObject({ colors: expect.any(Object), fonts: expect.any(Object) });
  });
});

describe('a deck from documents', () => {
  let deck: DeckBody;

  it('answers 202 with a job, then is ready with exactly numCards cited slides matching their layouts', async () => {
    const res = await post(deckRequest());
    expect(res.statusCode, res.body).toBe(202);
    const created = res.json<DeckBody>();
    expect(created).toMatchObject({ status: 'queued', cached: false });
    expect(created.jobId).toMatch(/^presentation\.generate-/);
    deck = await finished(created.id);
    expect(deck).toMatchObject({ status: 'ready', engine: 'extractive', degraded: false, themeId: 'paper' });
    expect(deck.theme).toMatchObject({ id: 'paper', colors: expect.any(Object) });
    expect(deck.notice).toMatch(/extractive/i);
    expect(deck.slides).toHaveLength(5);
    expect(deck.slides![0]!.layout).toBe('title');
    for (const slide of deck.slides!) {
      expect(Value.Check(layoutSchema('classic', slide.layout), slide.content), JSON.stringify(slide)).toBe(
        true,
      );
      expect(slide.imageQuery.length).toBeGreaterThan(0);
    }
    for (const slide of deck.slides!.slice(1)) {
      expect(slide.citations.length).toBeGreaterThan(0);
      for (const citation of slide.citations) {
        expect(citation).toMatchObject({ documentId, page: expect.any(Number), chunkId: expect.any(String) });
      }
    }
  });

  it('answers the identical request from the cache: 200, ready at once, the same slides', async () => {
    const res = await post(deckRequest({ themeId: 'midnight' }));
    expect(res.statusCode, res.body).toBe(200);
    const hit = res.json<DeckBody>();
    expect(hit).toMatchObject({
      status: 'ready',
      cached: true,
      themeId: 'midnight',
      theme: { id: 'midnight' },
    });
    expect(hit.slides).toEqual(deck.slides);
    // Another user's identical request is not served from this user's cache.
    const theirs = await post(deckRequest({ documentIds: [] }), other.token);
    expect(theirs.statusCode).toBe(202);
  });

  it('changes the theme without touching the slides', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/presentations/${deck.id}`,
      headers: auth(owner.token),
      payload: { themeId: 'forest' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<DeckBody>()).toMatchObject({
      themeId: 'forest',
      theme: { id: 'forest' },
      slides: deck.slides,
    });
    // The cache still answers the identical request.
    expect((await post(deckRequest())).statusCode).toBe(200);
  });

  it('regenerates one slide in another layout, keeping the others', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/presentations/${deck.id}/slides/2/regenerate`,
      headers: auth(owner.token),
      payload: { layout: 'quote' },
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json<DeckBody>().jobId).not.toBe(deck.jobId);
    const after = await finished(deck.id);
    expect(after.status).toBe('ready');
    expect(after.slides![2]!.layout).toBe('quote');
    expect(Value.Check(layoutSchema('classic', 'quote'), after.slides![2]!.content)).toBe(true);
    expect(after.slides!.filter((_, i) => i !== 2)).toEqual(deck.slides!.filter((_, i) => i !== 2));

    const outside = await t.app.inject({
      method: 'POST',
      url: `/api/v1/presentations/${deck.id}/slides/1/regenerate`,
      headers: auth(owner.token),
      payload: { layout: 'big-number' },
    });
    expect(outside.statusCode).toBe(422);
    expect(outside.json()).toMatchObject({ code: 'PRESENTATION_LAYOUT_NOT_IN_TEMPLATE' });
    const missing = await t.app.inject({
      method: 'POST',
      url: `/api/v1/presentations/${deck.id}/slides/9/regenerate`,
      headers: auth(owner.token),
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'PRESENTATION_SLIDE_NOT_FOUND' });
  });

  it('is not found for another user, anywhere', async () => {
    const base = `/api/v1/presentations/${deck.id}`;
    const attempts = [
      t.app.inject({ method: 'GET', url: base, headers: auth(other.token) }),
      t.app.inject({ method: 'PATCH', url: base, headers: auth(other.token), payload: { themeId: 'paper' } }),
      t.app.inject({ method: 'DELETE', url: base, headers: auth(other.token) }),
      t.app.inject({ method: 'POST', url: `${base}/slides/0/regenerate`, headers: auth(other.token) }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'PRESENTATION_NOT_FOUND' });
    }
    const theirList = await get(t, other.token, '/api/v1/presentations');
    expect(theirList.json<{ items: { id: string }[] }>().items.map((i) => i.id)).not.toContain(deck.id);
  });
});

describe('a deck from a prompt alone', () => {
  it('is a clearly marked minimal deck', async () => {
    const res = await post(
      deckRequest({ documentIds: undefined, numCards: 3, prompt: 'Tides. Wind. Depth under the keel.' }),
    );
    expect(res.statusCode, res.body).toBe(202);
    const deck = await finished(res.json<DeckBody>().id);
    expect(deck).toMatchObject({ status: 'ready', engine: 'extractive' });
    expect(deck.notice).toMatch(/minimal deck/i);
    expect(deck.slides!.length).toBeGreaterThan(0);
    expect(deck.slides!.length).toBeLessThanOrEqual(3);
  });
});

describe('a lost job', () => {
  it('is found by the reconcile sweep: the deck gets a new generation and is made', async () => {
    const res = await post(deckRequest({ numCards: 2, style: 'lost job' }));
    const made = await finished(res.json<DeckBody>().id);
    // As if the queue lost the job: queued, no slides, untouched for an hour.
    await t.deps.database.db
      .updateTable('presentations')
      .set({ status: 'queued', slides: null, updated_at: new Date(Date.now() - 3_600_000) })
      .where('id', '=', made.id)
      .execute();
    expect(await t.deps.generation.deckGenerator.reviveStalled(60_000)).toBe(1);
    const revived = await finished(made.id);
    expect(revived).toMatchObject({ status: 'ready', slides: made.slides });
    expect(revived.jobId).not.toBe(made.jobId);
  });
});

describe('listing and deleting', () => {
  it('pages the owner’s decks newest first, then deletes one', async () => {
    const first = await get(t, owner.token, '/api/v1/presentations?limit=2');
    expect(first.statusCode).toBe(200);
    const page1 = first.json<{ items: { id: string; slideCount: number }[]; nextCursor: string | null }>();
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).toBeTruthy();
    const second = await get(t, owner.token, `/api/v1/presentations?limit=2&cursor=${page1.nextCursor}`);
    const page2 = second.json<{ items: { id: string }[] }>();
    expect(page2.items.length).toBeGreaterThan(0);
    expect(page2.items.map((i) => i.id)).not.toContain(page1.items[0]!.id);

    const target = page1.items[0]!.id;
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/presentations/${target}`,
      headers: auth(owner.token),
    });
    expect(deleted.statusCode).toBe(204);
    expect((await get(t, owner.token, `/api/v1/presentations/${target}`)).statusCode).toBe(404);
  });
});

describe('bad requests', () => {
  it('answers 4xx problem+json for invalid input', async () => {
    const theirs = await uploaded(other.token, await generatePdf({ pages: 1 }));
    const cases: [Record<string, unknown>, number, string?][] = [
      [deckRequest({ numCards: 0 }), 400],
      [deckRequest({ numCards: 31 }), 400],
      [deckRequest({ prompt: 'x'.repeat(2001) }), 400],
      [deckRequest({ extra: true }), 400],
      [deckRequest({ templateId: 'nope' }), 422, 'PRESENTATION_TEMPLATE_NOT_FOUND'],
      [deckRequest({ themeId: 'nope' }), 422, 'PRESENTATION_THEME_NOT_FOUND'],
      [deckRequest({ documentIds: [theirs] }), 404, 'PRESENTATION_DOCUMENTS_NOT_FOUND'],
      [deckRequest({ engine: 'model' }), 503, 'AI_UNAVAILABLE'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      if (code) expect(res.json()).toMatchObject({ code });
    }
  });
});
