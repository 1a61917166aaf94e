import { copyFile, mkdtemp, readdir, readFile, rm, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createLocalEmbedder, type LocalEmbedder } from '../../src/platform/ai/local-embedder.ts';
import { passageWindows } from '../../src/platform/ai/passage-windows.ts';
import { readWinkEmbeddings } from '../../src/platform/ai/read-wink-embeddings.ts';
import { STOP_WORDS, wordTokens } from '../../src/platform/ai/word-tokens.ts';
import {
  decodeWordVectors,
  encodeWordVectors,
  quantiseWordVectors,
  WORD_VECTORS_FILE,
} from '../../src/platform/ai/word-vectors.ts';
import { PASSAGES } from './paraphrase-corpus.ts';

// Shared by the run (and by later runs): the first build converts the 307 MB source, later ones load the cache.
const cacheDir =
  process.env.LECTERN_TEST_MODEL_CACHE ?? path.join(import.meta.dirname, '../../node_modules/.cache/lectern');
const dot = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);

let embedder: LocalEmbedder;
beforeAll(async () => {
  embedder = createLocalEmbedder({ cacheDir });
  await embedder.ready();
}, 120_000);
afterAll(() => embedder.close());

describe('local embedder', () => {
  it('describes itself: a versioned model, 100 dimensions, 50-word windows', () => {
    expect(embedder.state).toBe('ready');
    expect(embedder.model).toMatch(/^local-glove-100d-sif-v\d+$/);
    expect(embedder.dimensions).toBe(100);
    expect(embedder.passageWindow).toEqual({ words: 50, overlap: 25 });
  });

  it('returns finite unit vectors, the same ones every time, and counts the words seen', async () => {
    const texts = ['Bees swarm in spring.', "The well-known captain's GPU stalled", '', 'zqxv brrrk'];
    const first = await embedder.embed(texts);
    const second = await embedder.embed([...texts].reverse());
    expect(second.vectors).toEqual([...first.vectors].reverse());
    for (const vector of first.vectors) {
      expect(vector).toHaveLength(100);
      expect(vector.every(Number.isFinite)).toBe(true);
      expect(dot(vector, vector)).toBeCloseTo(1, 9);
    }
    expect(first.tokens).toBe(4 + 5 + 0 + 2);
    expect(await embedder.embed([])).toEqual({ vectors: [], tokens: 0 });
  });

  it('gives text without a known word its own direction, unrelated to real text', async () => {
    const {
      vectors: [unknown, sameUnknown, otherUnknown, real],
    } = await embedder.embed(['zqxv brrrk', 'ZQXV, brrrk!', 'plorptang', 'Volcanoes erupt ash and lava.']);
    expect(sameUnknown).toEqual(unknown);
    expect(dot(unknown!, otherUnknown!)).toBeLessThan(0.5);
    expect(Math.abs(dot(unknown!, real!))).toBeLessThan(0.5);
  });

  it('scores a short paraphrase above an unrelated sentence', async () => {
    const {
      vectors: [a, paraphrase, unrelated],
    } = await embedder.embed([
      "The physician prescribed medicine for the child's fever.",
      'The doctor gave the kid pills for his high temperature.',
      'Stock markets fell sharply after the bank raised interest rates.',
    ]);
    expect(dot(a!, paraphrase!)).toBeGreaterThan(dot(a!, unrelated!) + 0.3);
  });

  it('finds the chunk a paraphrased question is about by its best window (recall@1 of at least 7/8)', async () => {
    const chunks = await Promise.all(
      PASSAGES.map(
        async (p) => (await embedder.embed(passageWindows(p.text, embedder.passageWindow!))).vectors,
      ),
    );
    const questions = PASSAGES.flatMap((p, target) => p.questions.map((question) => ({ question, target })));
    const { vectors } = await embedder.embed(questions.map((q) => q.question));
    const found = questions.map(({ target }, i) => {
      const scores = chunks.map((windows) => Math.max(...windows.map((w) => dot(w, vectors[i]!))));
      return scores.indexOf(Math.max(...scores)) === target;
    });
    expect(questions.length).toBeGreaterThanOrEqual(8);
    expect(found.filter(Boolean).length / found.length).toBeGreaterThanOrEqual(7 / 8);
  });

  it('is tested with questions that share no content word with their passage', () => {
    // Crude stemming, so "fermented" against "fermentation" or "keeps" against "keep" would count as shared.
    const stems = (text: string) =>
      new Set(
        wordTokens(text)
          .flatMap((w) => [w, ...w.split(/['-]/)])
          .filter((w) => !STOP_WORDS.has(w))
          .map((w) => w.replace(/(ing|ed|es|s|ly)$/, '')),
      );
    for (const passage of PASSAGES) {
      const inPassage = stems(passage.text);
      expect(wordTokens(passage.text).length).toBeGreaterThanOrEqual(500);
      for (const question of passage.questions) {
        expect(
          [...stems(question)].filter((s) => inPassage.has(s)),
          question,
        ).toEqual([]);
      }
    }
  });
});

describe('word vector cache', () => {
  const wink = (entries: [string, number[]][]) =>
    JSON.stringify({
      precision: 8,
      words: entries.map(([word]) => word),
      vectors: Object.fromEntries(entries.map(([word, v], rank) => [word, [...v, Math.hypot(...v), rank]])),
      unkVector: [0, 0, 0],
    });
  async function* inPieces(text: string, size: number) {
    for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
  }

  it('scans the source entry by entry across chunk boundaries, keeping accepted words in rank order', async () => {
    const source = wink([
      ['the', [0.5, -1, 2]],
      [',', [1, 1, 1]],
      ['"vectors":{', [9, 9, 9]],
      ['tide', [-0.25, 0, 1e-3]],
      ['pool', [3, 2, 1]],
    ]);
    for (const size of [1, 7, 4096]) {
      const raw = await readWinkEmbeddings(inPieces(source, size), {
        limit: 2,
        dimensions: 3,
        accept: (w) => /^\w+$/.test(w),
      });
      expect(raw.words).toEqual(['the', 'tide']);
      expect([...raw.ranks]).toEqual([1, 4]);
      expect([...raw.floats]).toEqual([0.5, -1, 2, -0.25, 0, Math.fround(1e-3)]);
    }
    await expect(
      readWinkEmbeddings(inPieces(source, 64), { limit: 9, dimensions: 4, accept: () => true }),
    ).rejects.toThrow('expected 4 dimensions');
    await expect(
      readWinkEmbeddings(inPieces(source.slice(0, 200), 64), { limit: 9, dimensions: 3, accept: () => true }),
    ).rejects.toThrow('ended');
  });

  const tempDir = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lectern-vectors-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };

  it('round-trips through the int8 file and refuses a damaged one', () => {
    const floats = new Float32Array([0.5, -1, 2, -0.25, 0, 0.125]);
    const file = encodeWordVectors(quantiseWordVectors(['tide', 'pool'], new Uint32Array([3, 9]), floats, 3));
    const decoded = decodeWordVectors(file)!;
    expect(decoded.words).toEqual(['tide', 'pool']);
    expect([...decoded.ranks]).toEqual([3, 9]);
    // Each row is scaled to its largest magnitude, so every value lands within half a step (max / 127 / 2).
    const step = [2 / 127, 0.25 / 127];
    decoded.vectors.forEach((q, i) => {
      const row = Math.floor(i / 3);
      expect(Math.abs(q * decoded.scales[row]! - floats[i]!)).toBeLessThanOrEqual(step[row]! / 2 + 1e-7);
    });
    expect(decodeWordVectors(file.subarray(0, file.length - 1))).toBeUndefined();
    const flipped = Buffer.from(file);
    flipped[40]! ^= 1;
    expect(decodeWordVectors(flipped)).toBeUndefined();
  });

  it('rebuilds a truncated cache, two converters at once leaving one whole file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, WORD_VECTORS_FILE);
    await copyFile(path.join(cacheDir, WORD_VECTORS_FILE), file);
    await truncate(file, 1000);
    const states: string[] = [];
    const both = [1, 2].map(() => createLocalEmbedder({ cacheDir: dir, onState: (s) => states.push(s) }));
    await Promise.all(both.map((e) => e.ready()));
    expect(states).toEqual(['ready', 'ready']);
    expect(await readdir(dir)).toEqual([WORD_VECTORS_FILE]);
    expect(decodeWordVectors(await readFile(file))).toBeDefined();
    const [a, b] = await Promise.all(both.map((e) => e.embed(['tide pools at low water'])));
    expect(a!.vectors).toEqual(b!.vectors);
    expect(a!.vectors).toEqual((await embedder.embed(['tide pools at low water'])).vectors);
  }, 120_000);

  it('fails instead of becoming ready when closed while warming', async () => {
    const dir = await tempDir();
    const states: string[] = [];
    const closing = createLocalEmbedder({ cacheDir: dir, onState: (s) => states.push(s) });
    expect(closing.state).toBe('warming');
    await closing.close();
    await expect(closing.ready()).rejects.toThrow('closed');
    await expect(closing.embed(['x'])).rejects.toThrow('closed');
    expect(closing.state).toBe('failed');
    expect(states).toEqual(['failed']);
  });
});
