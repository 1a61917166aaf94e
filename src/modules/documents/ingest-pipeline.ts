import { createHash } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import type { JobResult } from '../../platform/queue/queue.ts';
import type { BlobStorage } from '../../platform/storage/blob-storage.ts';
import type { DocumentStatus } from '../../platform/db/tables.ts';
import {
  ExtractionError,
  extractionFailure,
  hasTextLayer,
  SUMMARY_PROMPT_VERSION,
  type PdfExtractor,
  type Summarizer,
  type TextWorker,
} from '../ingest/index.ts';
import type { PublishDocumentEvent, StageRequest } from './documents.events.ts';
import { embedChunks, type EmbedTarget } from './embed-chunks.ts';
import type { EmbeddingsRepository } from './embeddings.repository.ts';
import type { PipelineRepository } from './pipeline.repository.ts';
import { createStalledSweep } from './stalled-documents.ts';

export interface StageJob {
  documentId: string;
  generation: number;
}

/** What a progress subscriber (the SSE route) receives on `document:<id>`. */
export interface DocumentProgress {
  status: DocumentStatus;
  stageProgress: number;
  error: string | null;
}

export interface IngestPipelineDeps {
  pipeline: PipelineRepository;
  /** Undefined when vector search is off: the embed stage then ends `skipped`. */
  embeddings:
    | {
        repository: EmbeddingsRepository;
        /** The active space (created on first use) and, during a model switch, the space being built. */
        targets: () => Promise<{ active: EmbedTarget; building: EmbedTarget | undefined }>;
      }
    | undefined;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: PublishDocumentEvent;
  storage: Pick<BlobStorage, 'get'>;
  pdf: PdfExtractor;
  /** Markup to text and chunking, in a worker thread: CPU work that would otherwise stall the API. */
  text: Pick<TextWorker, 'toText' | 'chunk'>;
  summarizer: Summarizer;
  /** Tells progress subscribers; best effort (they also re-read the database). */
  notify: (documentId: string, progress: DocumentProgress) => void;
  /** Drops the owner's cached library pages and the document's metadata after a status change. */
  invalidate: (ownerId: string, documentId: string) => Promise<void>;
  pagesPerJob: number;
  /** How often a long-running stage proves it is alive: well inside the sweep's stalled-after time. */
  heartbeatMs: number;
  /**
   * Rows per INSERT statement. On PGlite every statement holds the one session, so they are kept short (a
   * vector row costs ~5 ms of HNSW maintenance there; a chunk row fills a GIN-indexed tsvector).
   */
  rowsPerStatement: { chunks: number; vectors: number };
}

/**
 * The staged ingestion of one document: extract (in page ranges for large PDFs) → chunk → embed → summarize.
 * Each stage is a job that checks its generation and status first and skips when stale; each status change is
 * a compare-and-set committed together with the event that enqueues the next stage.
 */
export function createIngestPipeline(deps: IngestPipelineDeps) {
  const { pipeline } = deps;

  const tell = (id: string, row: { status: DocumentStatus; stage_progress: number; error: string | null }) =>
    deps.notify(id, { status: row.status, stageProgress: row.stage_progress, error: row.error });

  const requestStage = (job: StageJob, request: StageRequest) =>
    deps.publish('document.stage-requested', job.documentId, { ...job, ...request });

  /** Runs `work` while beating the heartbeat, so a long call (an LLM summary) is not mistaken for a lost job. */
  async function whileBeating<T>(job: StageJob, status: DocumentStatus, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(
      () => void pipeline.beat(job.documentId, job.generation, status).catch(() => undefined),
      deps.heartbeatMs,
    );
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  async function readBlob(key: string): Promise<Buffer> {
    const blob = await deps.storage.get(key);
    if (!blob) throw new ExtractionError('corrupt', 'The uploaded file is missing from storage.');
    const parts: Buffer[] = [];
    for await (const part of blob.body) parts.push(part as Buffer);
    return Buffer.concat(parts);
  }

  /** Ends the document as failed (once) with a reason the user can act on. */
  async function fail(job: StageJob, reason: string): Promise<void> {
    const failed = await deps.transaction(async () => {
      const row = await pipeline.fail(job.documentId, job.generation, reason);
      if (row) {
        await deps.publish('document.failed', job.documentId, {
          documentId: job.documentId,
          ownerId: row.owner_id,
          error: reason,
        });
      }
      return row;
    });
    if (!failed) return;
    deps.notify(job.documentId, { status: 'failed', stageProgress: 0, error: reason });
    await deps.invalidate(failed.owner_id, job.documentId);
  }

  /** Stores extracted pages; the write that completes the set requests the chunk stage. */
  async function storePages(job: StageJob, pages: { page: number; text: string }[]): Promise<JobResult> {
    const progress = await deps.transaction(async () => {
      const locked = await pipeline.lockForPages(job.documentId, job.generation);
      if (!locked?.page_count) return undefined;
      await pipeline.insertPages(job.documentId, pages);
      const done = await pipeline.recordPagesDone(job.documentId, locked.page_count);
      if (done >= locked.page_count) await requestStage(job, { stage: 'chunk' });
      return done / locked.page_count;
    });
    if (progress === undefined) return 'skipped';
    deps.notify(job.documentId, { status: 'extracting', stageProgress: progress, error: null });
    return 'done';
  }

  /** Permanent extraction problems fail the document at once; anything else is retried by the queue. */
  async function extracting(job: StageJob, work: () => Promise<JobResult>): Promise<JobResult> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ExtractionError && error.permanent) {
        await fail(job, error.message);
        return 'done';
      }
      throw error;
    }
  }

  /**
   * Moves the document from `from` to `to` and, in the same transaction, does what follows (requests the next
   * stage, or publishes `document.ready`); skipped when another job got there first.
   */
  async function moveOn(
    job: StageJob,
    from: DocumentStatus,
    to: DocumentStatus,
    extra: Parameters<PipelineRepository['advance']>[4],
    then: (row: { owner_id: string }) => Promise<void>,
  ): Promise<JobResult> {
    const moved = await deps.transaction(async () => {
      const row = await pipeline.advance(job.documentId, job.generation, [from], to, extra);
      if (row) await then(row);
      return row;
    });
    if (!moved) return 'skipped';
    tell(job.documentId, moved);
    await deps.invalidate(moved.owner_id, job.documentId);
    return 'done';
  }

  return {
    async extract(job: StageJob): Promise<JobResult> {
      const document = await pipeline.advance(
        job.documentId,
        job.generation,
        ['queued', 'extracting'],
        'extracting',
      );
      if (!document) return 'skipped';
      tell(job.documentId, document);
      await deps.invalidate(document.owner_id, job.documentId);
      return extracting(job, async () => {
        const bytes = await readBlob(document.blob_key);
        if (document.mime !== 'application/pdf') {
          await pipeline.setPageCount(job.documentId, job.generation, 1);
          const text = await deps.text.toText(document.mime, bytes.toString('utf8'));
          return storePages(job, [{ page: 1, text }]);
        }
        const { pageCount } = await deps.pdf.inspect(bytes);
        await pipeline.setPageCount(job.documentId, job.generation, pageCount);
        // A revived document keeps the pages it has: only ranges with missing pages are extracted again.
        const stored = new Set(await pipeline.storedPageNumbers(job.documentId));
        const missing: { from: number; to: number }[] = [];
        for (let from = 1; from <= pageCount; from += deps.pagesPerJob) {
          const to = Math.min(pageCount, from + deps.pagesPerJob - 1);
          for (let page = from; page <= to; page++) {
            if (!stored.has(page)) {
              missing.push({ from, to });
              break;
            }
          }
        }
        if (missing.length === 0) return storePages(job, []);
        if (pageCount <= deps.pagesPerJob) {
          return storePages(job, await deps.pdf.extractPages(bytes, { from: 1, to: pageCount }));
        }
        await deps.transaction(async () => {
          for (const pages of missing) await requestStage(job, { stage: 'extract-pages', pages });
        });
        return 'done';
      });
    },

    async extractPages(job: StageJob & { pages: { from: number; to: number } }): Promise<JobResult> {
      const document = await pipeline.advance(job.documentId, job.generation, ['extracting'], 'extracting');
      if (!document) return 'skipped';
      return extracting(job, async () =>
        storePages(job, await deps.pdf.extractPages(await readBlob(document.blob_key), job.pages)),
      );
    },

    async chunk(job: StageJob): Promise<JobResult> {
      const document = await pipeline.advance(job.documentId, job.generation, ['extracting'], 'extracting');
      if (!document) return 'skipped';
      const pages = await pipeline.loadPages(job.documentId);
      if (!hasTextLayer(pages)) {
        await fail(
          job,
          document.mime === 'application/pdf'
            ? extractionFailure.noText().message
            : 'The document contains no text to process.',
        );
        return 'done';
      }
      const chunks = await deps.text.chunk(pages);
      // A retry starts the chunks over; each batch is its own short statement (PGlite serves one session).
      await pipeline.deleteChunks(job.documentId);
      const slice = deps.rowsPerStatement.chunks;
      for (let i = 0; i < chunks.length; i += slice) {
        await pipeline.insertChunks(
          chunks.slice(i, i + slice).map((c) => ({
            id: uuidv7(),
            document_id: job.documentId,
            ord: c.ord,
            page_from: c.pageFrom,
            page_to: c.pageTo,
            char_start: c.charStart,
            char_end: c.charEnd,
            text: c.text,
            text_sha256: sha256(c.text),
            page_breaks: c.pageBreaks,
          })),
        );
        if (!(await pipeline.beat(job.documentId, job.generation, 'extracting'))) return 'skipped';
      }
      return moveOn(job, 'extracting', 'embedding', { chunk_count: chunks.length }, async () => {
        await pipeline.deletePages(job.documentId);
        await requestStage(job, { stage: 'embed' });
      });
    },

    async embed(job: StageJob): Promise<JobResult> {
      const document = await pipeline.advance(job.documentId, job.generation, ['embedding'], 'embedding');
      if (!document) return 'skipped';
      let embedding: 'done' | 'skipped' = 'skipped';
      if (deps.embeddings) {
        const { repository } = deps.embeddings;
        const { active, building } = await deps.embeddings.targets();
        const finished = await embedChunks(repository, active, job.documentId, {
          total: document.chunk_count ?? 0,
          vectorsPerStatement: deps.rowsPerStatement.vectors,
          afterRound: async (progress) => {
            if (!(await pipeline.beat(job.documentId, job.generation, 'embedding', progress))) return false;
            deps.notify(job.documentId, { status: 'embedding', stageProgress: progress, error: null });
            return true;
          },
        });
        if (!finished) return 'skipped';
        // Best effort: the re-embed job catches up any chunk missing from the new space before it flips, so a
        // failing new model never fails the document.
        if (building) {
          await embedChunks(repository, building, job.documentId, {
            total: 0,
            vectorsPerStatement: deps.rowsPerStatement.vectors,
            afterRound: () => pipeline.beat(job.documentId, job.generation, 'embedding'),
          }).catch(() => undefined);
        }
        embedding = 'done';
      }
      return moveOn(job, 'embedding', 'summarizing', { embedding }, () =>
        requestStage(job, { stage: 'summarize' }),
      );
    },

    async summarize(job: StageJob): Promise<JobResult> {
      const document = await pipeline.advance(job.documentId, job.generation, ['summarizing'], 'summarizing');
      if (!document) return 'skipped';
      const sections = documentSections(await pipeline.chunkTexts(job.documentId));
      const inputSha256 = sha256(
        JSON.stringify([SUMMARY_PROMPT_VERSION, deps.summarizer.model, document.title, sections]),
      );
      const stored = await pipeline.findSummaryInput(job.documentId);
      if (stored?.input_sha256 !== inputSha256) {
        const summary = await whileBeating(job, 'summarizing', () =>
          deps.summarizer.summarize({ title: document.title, sections }, { userId: document.owner_id }),
        );
        await pipeline.upsertSummary({
          documentId: job.documentId,
          text: summary.text,
          model: summary.model,
          method: summary.method,
          note: summary.note,
          // A fallback written while the AI service was down is not a cached answer: the next run tries again.
          inputSha256: summary.model === deps.summarizer.model ? inputSha256 : '',
        });
      }
      return moveOn(job, 'summarizing', 'ready', { stage_progress: 1 }, (row) =>
        deps.publish('document.ready', job.documentId, { documentId: job.documentId, ownerId: row.owner_id }),
      );
    },

    /** After a stage's last attempt: the document fails with the last error, worded for its owner. */
    async exhausted(job: StageJob, error: Error): Promise<void> {
      const reason =
        error instanceof ExtractionError
          ? error.message
          : `Processing failed after several attempts (${error.message.slice(0, 200)}); try reprocessing it.`;
      await fail(job, reason);
    },

    /** The sweep's revival of documents whose heartbeat stopped (see stalled-documents.ts). */
    reviveStalled: createStalledSweep({ pipeline, transaction: deps.transaction, requestStage }),
  };
}

export type IngestPipeline = ReturnType<typeof createIngestPipeline>;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The document's text back from its overlapping chunks, one section per page where a chunk starts. */
function documentSections(
  chunks: { page_from: number; char_start: number; char_end: number; text: string }[],
) {
  const sections: { heading: string | null; text: string }[] = [];
  let covered = 0;
  for (const chunk of chunks) {
    const skip = Math.max(0, covered - chunk.char_start);
    const text = chunk.text.slice(skip);
    covered = Math.max(covered, chunk.char_end);
    if (text.trim()) sections.push({ heading: null, text });
  }
  return sections;
}
