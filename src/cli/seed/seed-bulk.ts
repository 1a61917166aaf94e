import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { uuidv7 } from 'uuidv7';
import type { Deps } from '../../deps.ts';
import {
  createEmbeddingsRepository,
  storeVectors,
  vectorsFor,
  type EmbedTarget,
} from '../../modules/documents/index.ts';
import {
  SUMMARY_PROMPT_VERSION,
  createTextWorker,
  textWorkerSummarizer,
} from '../../modules/ingest/index.ts';
import { ensureVectorIndex, dropVectorIndex } from '../../platform/db/vector-index.ts';
import { createBulkCorpusRepository, type BulkCorpusRepository } from './bulk-corpus.repository.ts';
import { bulkDocument, bulkDocumentId, bulkSize, type BulkDocument, type BulkOwner } from './bulk-plan.ts';
import { secondsSince, type createProgressBar } from './progress-bar.ts';
import { retryWhileBusy } from './seed-library.ts';
import type { Scale } from './seed-plan.ts';

type ProgressBar = ReturnType<typeof createProgressBar>;
type Summarizer = ReturnType<typeof textWorkerSummarizer>;
export type BulkDeps = Pick<Deps, 'database' | 'storage' | 'embedder' | 'embeddingSpaces'>;

/** Documents per transaction: 400 chunks and their vectors, a short hold on PGlite's one session. */
const DOCUMENTS_PER_BATCH = 10;
const VECTORS_PER_STATEMENT = 500;
const IDS_PER_LOOKUP = 500;

export interface BulkOutcome {
  planned: { documents: number; chunks: number };
  created: { documents: number; chunks: number; vectors: number };
  /** False on a deployment without vector search: chunks then have text and tsv only. */
  vectorSearch: boolean;
  /** True when the chunk indexes were dropped before loading and built again after it. */
  rebuiltIndexes: boolean;
  seconds: { load: number; indexes: number };
}

/**
 * The bulk corpus: each owner's ready text documents (blob, chunks, vectors in the active space, summary, tags,
 * storage usage) written straight into the tables in batches, without the pipeline. A load larger than what is
 * already indexed runs with the `chunks` full-text index and the space's HNSW index dropped, and builds them
 * after, once. Documents are found by their ids (derived from owner and number), each batch commits whole, and
 * the indexes are ensured at the end of every run: running it again adds nothing, a stopped run is completed.
 */
export async function seedBulkCorpus(
  deps: BulkDeps,
  scale: Scale,
  owners: BulkOwner[],
  options: { bar: ProgressBar; signal: AbortSignal },
): Promise<BulkOutcome | 'aborted'> {
  const repository = createBulkCorpusRepository(deps.database);
  const { documents, chunksPerDocument } = bulkSize(scale);
  const planned = {
    documents: owners.length * documents,
    chunks: owners.length * documents * chunksPerDocument,
  };
  const missing = await missingDocuments(repository, owners, documents);
  // Vector search off (a PostgreSQL without pgvector): text and tsv only, as the pipeline does.
  const target = deps.embedder ? (await deps.embeddingSpaces.ingestTargets()).active : undefined;
  const indexes = chunkIndexes(repository, deps.database, target);

  const loadStartedAt = performance.now();
  const loadChunks = missing.length * chunksPerDocument;
  const rebuiltIndexes =
    loadChunks > 0 && loadChunks >= (await retryWhileBusy(() => repository.chunkCount()));
  if (rebuiltIndexes) await indexes.drop();
  const created = await loadDocuments(deps, repository, target, scale, missing, options);
  if (created === 'aborted') return 'aborted';
  const load = secondsSince(loadStartedAt);

  const indexStartedAt = performance.now();
  if (rebuiltIndexes) options.bar.update(0, 1, 'bulk corpus: building the chunk indexes', true);
  await indexes.ensure();
  if (rebuiltIndexes) options.bar.update(1, 1, 'bulk corpus: chunk indexes built', true);
  options.bar.finish();
  if (created.documents > 0) await deps.database.analyze();
  return {
    planned,
    created,
    vectorSearch: target !== undefined,
    rebuiltIndexes,
    seconds: { load, indexes: secondsSince(indexStartedAt) },
  };
}

/** Writes the missing documents batch by batch, each batch in one transaction. */
async function loadDocuments(
  deps: BulkDeps,
  repository: BulkCorpusRepository,
  target: EmbedTarget | undefined,
  scale: Scale,
  missing: { owner: BulkOwner; n: number }[],
  options: { bar: ProgressBar; signal: AbortSignal },
): Promise<BulkOutcome['created'] | 'aborted'> {
  const created = { documents: 0, chunks: 0, vectors: 0 };
  const total = missing.length * bulkSize(scale).chunksPerDocument;
  const textWorker = createTextWorker();
  try {
    const summarizer = textWorkerSummarizer(textWorker);
    const now = new Date();
    for (let i = 0; i < missing.length; i += DOCUMENTS_PER_BATCH) {
      if (options.signal.aborted) return 'aborted';
      const batch = missing
        .slice(i, i + DOCUMENTS_PER_BATCH)
        .map(({ owner, n }) => ({ owner, document: bulkDocument(owner, n, scale, now) }));
      const [summaries] = await Promise.all([
        Promise.all(batch.map(({ document }) => summaryOf(summarizer, document))),
        // Blobs first: a batch that does not commit leaves files that the next run writes again, same key.
        Promise.all(
          batch.map(({ document }) =>
            deps.storage.put(document.blobKey, Readable.from([Buffer.from(document.text)]), {
              contentType: 'text/plain',
            }),
          ),
        ),
      ]);
      const written = await retryWhileBusy(() =>
        deps.database.transaction(() => writeBatch(deps, repository, target, batch, summaries)),
      );
      created.documents += written.documents;
      created.chunks += written.chunks;
      created.vectors += written.vectors;
      const loaded = Math.min(i + DOCUMENTS_PER_BATCH, missing.length) * bulkSize(scale).chunksPerDocument;
      options.bar.update(loaded, total, 'bulk corpus: chunks loaded', loaded === total);
    }
  } finally {
    await textWorker.close();
  }
  options.bar.finish();
  return created;
}

async function missingDocuments(
  repository: BulkCorpusRepository,
  owners: BulkOwner[],
  documents: number,
): Promise<{ owner: BulkOwner; n: number }[]> {
  const planned = owners.flatMap((owner) => Array.from({ length: documents }, (_, n) => ({ owner, n })));
  const missing: typeof planned = [];
  for (let i = 0; i < planned.length; i += IDS_PER_LOOKUP) {
    const slice = planned.slice(i, i + IDS_PER_LOOKUP);
    const ids = slice.map(({ owner, n }) => bulkDocumentId(owner.email, n));
    const existing = await retryWhileBusy(() => repository.existingIds(ids));
    missing.push(...slice.filter((_, k) => !existing.has(ids[k]!)));
  }
  return missing;
}

type Summary = Awaited<ReturnType<Summarizer['summarize']>> & { inputSha256: string };

/** The pipeline's extractive summary of the document, with the input hash it records for it. */
async function summaryOf(summarizer: Summarizer, document: BulkDocument): Promise<Summary> {
  const sections = document.chunks.map((c) => ({ heading: null, text: c.text }));
  const summary = await summarizer.summarize({ title: document.title, sections });
  const input = JSON.stringify([SUMMARY_PROMPT_VERSION, summarizer.model, document.title, sections]);
  return { ...summary, inputSha256: createHash('sha256').update(input).digest('hex') };
}

/** One batch in the caller's transaction: the documents that are new, with everything a ready one has. */
async function writeBatch(
  deps: BulkDeps,
  repository: BulkCorpusRepository,
  target: EmbedTarget | undefined,
  batch: { owner: BulkOwner; document: BulkDocument }[],
  summaries: Summary[],
): Promise<{ documents: number; chunks: number; vectors: number }> {
  const inserted = await repository.insertDocuments(
    batch.map(({ owner, document: d }) => ({
      id: d.id,
      ownerId: owner.id,
      title: d.title,
      fileName: d.fileName,
      byteSize: d.byteSize,
      sha256: d.sha256,
      blobKey: d.blobKey,
      chunkCount: d.chunks.length,
      embedding: target ? 'done' : 'skipped',
      createdAt: d.createdAt,
    })),
  );
  const fresh = batch.flatMap((entry, k) => (inserted.has(entry.document.id) ? [{ ...entry, k }] : []));
  const chunks = fresh.flatMap(({ document }) =>
    document.chunks.map((c) => ({ ...c, id: uuidv7(), documentId: document.id })),
  );
  await repository.insertTags(
    fresh.flatMap(({ document }) => document.tags.map((tag) => ({ documentId: document.id, tag }))),
  );
  await repository.insertChunks(chunks);
  await repository.insertSummaries(
    fresh.map(({ document, k }) => ({ documentId: document.id, ...summaries[k]! })),
  );
  const bytesByOwner = new Map<string, number>();
  for (const { owner, document } of fresh) {
    bytesByOwner.set(owner.id, (bytesByOwner.get(owner.id) ?? 0) + document.byteSize);
  }
  for (const [ownerId, bytes] of bytesByOwner) await repository.addStorageUsage(ownerId, bytes);
  let vectors = 0;
  if (target) {
    // The pipeline's own embedding step: identical text reuses stored vectors, the rest goes to the embedder.
    const embeddings = createEmbeddingsRepository(deps.database);
    const rows = await vectorsFor(embeddings, target, chunks, 'seed');
    await storeVectors(embeddings, target.spaceId, rows, VECTORS_PER_STATEMENT);
    vectors = rows.length;
  }
  return { documents: fresh.length, chunks: chunks.length, vectors };
}

/** The indexes a bulk load goes faster without: `chunks`' full-text index and the space's HNSW index. */
function chunkIndexes(
  repository: BulkCorpusRepository,
  database: BulkDeps['database'],
  target: EmbedTarget | undefined,
) {
  return {
    async drop(): Promise<void> {
      await repository.dropTextIndex();
      if (target) await dropVectorIndex(database, target.spaceId);
    },
    /** Builds whichever is missing; a no-op when both are there. */
    async ensure(): Promise<void> {
      await repository.raiseBuildMemory();
      try {
        await repository.createTextIndex();
        if (target) await ensureVectorIndex(database, target.spaceId, target.embedder.dimensions);
      } finally {
        await repository.resetBuildMemory();
      }
    },
  };
}
