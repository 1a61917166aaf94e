import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// GET /api/v1/search: hybrid (HNSW + full-text, RRF in one statement) on PGlite; text only where vector
// search is off (the PostgreSQL 15 project).
let t: TestApp;
let owner: { id: string; token: string };
let other: { id: string; token: string };
const ids: Record<string, string> = {};

const TEXTS = {
  bees:
    '# Beekeeping\n\nA colony of honey bees needs a queen, workers and drones. In spring the beekeeper ' +
    'inspects the frames for brood, adds supers when nectar flows and watches for swarming cells.',
  tides:
    '# Tide pools\n\nAt low tide the rock pools hold anemones, hermit crabs and sea stars. Waves refill ' +
    'the pools twice a day, and the creatures survive heat and salt between the tides.',
  taxes:
    '# Tax returns\n\nA self-employed person files an annual return, deducts business expenses and pays ' +
    'estimated tax each quarter to avoid penalties from the revenue service.',
};

beforeAll(async () => {
  t = await createTestApp();
  await t.deps.startBackground({ workers: true });
  [owner, other] = [await registerUser(t), await registerUser(t)];
  for (const [name, text] of Object.entries(TEXTS)) {
    const res = await upload(t, owner.token, { fileName: `${name}.md`, data: text }, { tags: name });
    ids[name] = res.json<UploadedDocument>().id;
    await settle(t, owner.token, ids[name]);
  }
  // The other user's copy of one text: it must never appear in the owner's results, nor the reverse.
  const theirs = await upload(t, other.token, { fileName: 'bees.md', data: TEXTS.bees });
  await settle(t, other.token, theirs.json<UploadedDocument>().id);
});
afterAll(() => t.close());

interface Hit {
  documentId: string;
  chunkId: string;
  pageFrom: number;
  snippet: string;
  score: number;
  vectorRank: number | null;
  textRank: number | null;
}
const search = (query: string, token = owner.token) => get(t, token, `/api/v1/search?${query}`);

describe('search', () => {
  it('finds an exact term by text, with a highlighted snippet, ranks and Server-Timing', async () => {
    const res = await search('q=anemones&mode=text');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ hits: Hit[]; vectorSearch: string }>();
    expect(body.hits.map((h) => h.documentId)).toEqual([ids.tides]);
    expect(body.hits[0]).toMatchObject({ pageFrom: 1, textRank: 1, vectorRank: null });
    expect(body.hits[0]!.snippet).toContain('<mark>anemones</mark>');
    expect(res.headers['server-timing']).toMatch(/db;dur=[\d.]+;desc="\d+ statements", total;dur=/);
  });

  it('answers hybrid by default, fusing both lists when vector search is on', async () => {
    const res = await search('q=honey%20bees%20and%20their%20queen');
    const body = res.json<{ hits: Hit[]; vectorSearch: string; mode: string }>();
    expect(body.mode).toBe('hybrid');
    expect(body.hits[0]!.documentId).toBe(ids.bees);
    if (t.deps.vector.enabled) {
      expect(body.vectorSearch).toBe('enabled');
      expect(body.hits[0]!.vectorRank).not.toBeNull();
      expect(body.hits[0]!.textRank).not.toBeNull();
      expect(res.headers['server-timing']).toMatch(/^embed;dur=[\d.]+, db;/);
    } else {
      expect(body.vectorSearch).toBe('disabled');
      expect(body.hits.every((h) => h.vectorRank === null)).toBe(true);
    }
    // Scores never increase down the list.
    const scores = body.hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('finds a paraphrase sharing no word with the text by vector, or refuses mode=vector without it', async () => {
    const res = await search('q=insects%20making%20sweet%20syrup&mode=vector');
    if (!t.deps.vector.enabled) {
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'SEARCH_VECTOR_DISABLED' });
      return;
    }
    const hits = res.json<{ hits: Hit[] }>().hits;
    expect(hits[0]!.documentId).toBe(ids.bees);
    expect(hits.every((h) => h.textRank === null)).toBe(true);
    const text = await search('q=insects%20making%20sweet%20syrup&mode=text');
    expect(text.json<{ hits: Hit[] }>().hits).toEqual([]);
  });

  it('keeps every result inside the caller’s documents and filters', async () => {
    for (const mode of ['hybrid', 'text', ...(t.deps.vector.enabled ? ['vector'] : [])]) {
      const mine = await search(`q=honey%20bees%20colony&mode=${mode}`);
      const theirs = await search(`q=honey%20bees%20colony&mode=${mode}`, other.token);
      const myIds = mine.json<{ hits: Hit[] }>().hits.map((h) => h.documentId);
      const theirIds = theirs.json<{ hits: Hit[] }>().hits.map((h) => h.documentId);
      expect(
        myIds.every((id) => Object.values(ids).includes(id)),
        mode,
      ).toBe(true);
      expect(
        theirIds.some((id) => Object.values(ids).includes(id)),
        mode,
      ).toBe(false);
      expect(theirIds.length, mode).toBeGreaterThan(0);
    }
    const tagged = await search('q=pools%20or%20colony%20or%20tax&mode=text&tags=taxes');
    expect(tagged.json<{ hits: Hit[] }>().hits.map((h) => h.documentId)).toEqual([ids.taxes]);
    const byDocument = await search(`q=pools%20or%20colony%20or%20tax&mode=text&documentIds=${ids.bees}`);
    expect(byDocument.json<{ hits: Hit[] }>().hits.map((h) => h.documentId)).toEqual([ids.bees]);
  });

  it('answers bad input with problem+json', async () => {
    for (const query of ['q=', 'q=x&mode=fuzzy', 'q=x&limit=51', 'q=x&documentIds=nope']) {
      const res = await search(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });
});
