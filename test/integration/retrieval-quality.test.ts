import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePdf, sampleProse } from '../fixtures/pdfs.ts';
import { get, registerUser, settle, upload, type UploadedDocument } from '../harness/library.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';
import { PASSAGES } from '../unit/paraphrase-corpus.ts';

// Retrieval quality with the local embedder: recall@5 per mode on paraphrased questions (no content word in
// common with their passage) and on exact-term questions, each with the document and page it must find.
// The table is printed so a regression is visible, not only failed.
let t: TestApp;
let token: string;
let guide: string;

/** Exact terms, each found in one passage only (page = the passage's position in the guide, from 1). */
const EXACT: { q: string; topic: string }[] = [
  { q: 'banneton', topic: 'sourdough' },
  { q: 'hooch', topic: 'sourdough' },
  { q: 'Campagna arcades', topic: 'aqueducts' },
  { q: 'Appius Claudius', topic: 'aqueducts' },
  { q: 'high-bandwidth terabytes', topic: 'gpu memory' },
  { q: 'periwinkles', topic: 'tide pools' },
  { q: 'brackish seaweeds', topic: 'tide pools' },
  { q: 'Medicare self-employment', topic: 'tax law' },
  { q: 'Langstroth', topic: 'beekeeping' },
  { q: 'propolis', topic: 'beekeeping' },
  { q: 'Kilauea', topic: 'volcanoes' },
  { q: 'rhyolite andesite', topic: 'volcanoes' },
];
const PARAPHRASE = PASSAGES.flatMap((p) => p.questions.map((q) => ({ q, topic: p.topic })));
const pageOf = (topic: string) => PASSAGES.findIndex((p) => p.topic === topic) + 1;
const MODES = ['vector', 'text', 'hybrid'] as const;

beforeAll(async () => {
  t = await createTestApp();
  await t.deps.startBackground({ workers: true });
  token = (await registerUser(t)).token;
  const guidePdf = await generatePdf({
    pages: PASSAGES.length,
    textForPage: (page) => PASSAGES[page - 1]!.text,
  });
  // Distractors: pages of generated prose in the same library.
  const noisePdf = await generatePdf({ pages: 24, textForPage: (page) => sampleProse(page * 31, 40) });
  const uploaded = await upload(t, token, {
    fileName: 'guide.pdf',
    contentType: 'application/pdf',
    data: guidePdf,
  });
  guide = uploaded.json<UploadedDocument>().id;
  const noise = await upload(t, token, {
    fileName: 'noise.pdf',
    contentType: 'application/pdf',
    data: noisePdf,
  });
  expect((await settle(t, token, guide)).status).toBe('ready');
  expect((await settle(t, token, noise.json<UploadedDocument>().id)).status).toBe('ready');
}, 120_000);
afterAll(() => t.close());

async function recallAt5(mode: (typeof MODES)[number], questions: { q: string; topic: string }[]) {
  let found = 0;
  for (const { q, topic } of questions) {
    const res = await get(t, token, `/api/v1/search?mode=${mode}&limit=5&q=${encodeURIComponent(q)}`);
    expect(res.statusCode, res.body).toBe(200);
    const page = pageOf(topic);
    const hits = res.json<{ hits: { documentId: string; pageFrom: number; pageTo: number }[] }>().hits;
    if (hits.some((h) => h.documentId === guide && h.pageFrom <= page && page <= h.pageTo)) found += 1;
  }
  return found;
}

describe('retrieval quality (local embedder)', () => {
  it('vector wins on paraphrases, text on exact terms, and hybrid keeps the better of both', async () => {
    if (!t.deps.vector.enabled) {
      // No pgvector on this PostgreSQL: hybrid answers from text alone, and still finds every exact term.
      expect(await recallAt5('hybrid', EXACT)).toBeGreaterThanOrEqual(EXACT.length - 1);
      return;
    }
    expect(PARAPHRASE.length).toBeGreaterThanOrEqual(10);
    expect(EXACT.length).toBeGreaterThanOrEqual(10);
    const table = {} as Record<(typeof MODES)[number], { paraphrase: number; exact: number }>;
    for (const mode of MODES) {
      table[mode] = { paraphrase: await recallAt5(mode, PARAPHRASE), exact: await recallAt5(mode, EXACT) };
    }
    console.log(
      `recall@5 (${PARAPHRASE.length} paraphrase, ${EXACT.length} exact-term questions)\n` +
        MODES.map((m) => `${m.padEnd(7)} paraphrase ${table[m].paraphrase}  exact ${table[m].exact}`).join(
          '\n',
        ),
    );
    const overall = (m: (typeof MODES)[number]) => table[m].paraphrase + table[m].exact;
    expect(table.vector.paraphrase).toBeGreaterThanOrEqual(table.text.paraphrase);
    expect(table.text.exact).toBeGreaterThanOrEqual(table.vector.exact);
    expect(overall('hybrid')).toBeGreaterThanOrEqual(Math.max(overall('vector'), overall('text')) - 1);
    // Not vacuous: each mode finds most of its own kind of question.
    expect(table.vector.paraphrase).toBeGreaterThanOrEqual(PARAPHRASE.length / 2);
    expect(table.text.exact).toBeGreaterThanOrEqual(EXACT.length - 1);
  }, 120_000);
});
