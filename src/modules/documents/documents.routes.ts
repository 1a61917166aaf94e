import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../platform/errors.ts';
import type { EventStreams } from '../../platform/http/event-stream.ts';
import { parseRangeHeader } from '../../platform/storage/byte-range.ts';
import { rangeNotSatisfiable } from '../../platform/storage/storage-errors.ts';
import type { Authenticate } from '../users/index.ts';
import { presentChunk, presentDocument, presentFields, presentSummary } from './documents.presenter.ts';
import {
  ChunkPage,
  ChunkQuery,
  Document,
  DocumentPage,
  IdParams,
  ListQuery,
  NoContent,
  PatchBody,
  Reprocess,
  Summary,
  TagCounts,
  UploadForm,
  UploadResult,
} from './documents.schema.ts';
import type { DocumentsService, StagedUpload } from './documents.service.ts';
import { followProgress } from './progress-feed.ts';
import { createFieldCollector } from './upload-fields.ts';

export interface DocumentsRoutesDeps {
  documents: DocumentsService;
  authenticate: Authenticate;
  eventStreams: EventStreams;
  maxUploadBytes: number;
}

const security = [{ bearer: [] }];
const tags = ['documents'];

export function documentsRoutes(deps: DocumentsRoutesDeps): FastifyPluginAsyncTypebox {
  const { documents } = deps;
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);
    await app.register(multipart, {
      // The storage put enforces the byte limit (and the quota) itself; busboy only stops pathological bodies.
      limits: { fileSize: deps.maxUploadBytes + 1, files: 1, fields: 3, fieldSize: 4096, parts: 4 },
    });

    app.post(
      '/documents',
      {
        config: { idempotent: 'streamed' },
        schema: {
          tags,
          summary: 'Upload a document (multipart: `file`, optional `title`, `tags` comma-separated, `kind`).',
          description:
            'PDF, plain text, Markdown or HTML, decided from the bytes. Streamed to storage while hashed: ' +
            'the same bytes again answer 200 with the existing document and `duplicateOf`. Honours ' +
            'Idempotency-Key. Errors: 400 DOCUMENT_FILE_MISSING / DOCUMENT_INVALID_FIELD, 413 ' +
            'DOCUMENT_TOO_LARGE / DOCUMENT_QUOTA_EXCEEDED, 415 DOCUMENT_NOT_MULTIPART / ' +
            'DOCUMENT_UNSUPPORTED_TYPE / DOCUMENT_TYPE_MISMATCH, 422 DOCUMENT_EMPTY.',
          security,
          consumes: ['multipart/form-data'],
          streamedBody: UploadForm,
          response: { 200: UploadResult, 201: UploadResult },
        },
      },
      async (request, reply) => {
        if (!request.isMultipart()) {
          throw new AppError('DOCUMENT_NOT_MULTIPART', 415, 'Send the file as multipart/form-data.');
        }
        const fields = createFieldCollector();
        let staged: StagedUpload | undefined;
        try {
          for await (const part of request.parts()) {
            if (part.type === 'field') {
              fields.add(part.fieldname, part.value);
              continue;
            }
            if (part.fieldname !== 'file' || staged) throw fileMissing();
            staged = await documents.stageUpload(request.actor, part.file, {
              mimetype: part.mimetype,
              fileName: part.filename,
            });
          }
          if (!staged) throw fileMissing();
          const input = fields.parse();
          const replayed = await request.claimIdempotencyKey?.(`${staged.sha256}\n${JSON.stringify(input)}`);
          if (replayed) {
            await documents.discard(staged);
            return replayed;
          }
          const created = await documents.createFromUpload(request.actor, staged, input);
          staged = undefined;
          return reply
            .code(created.duplicateOf ? 200 : 201)
            .send({ ...presentDocument(created.document), duplicateOf: created.duplicateOf });
        } catch (error) {
          if (staged) await documents.discard(staged);
          // The rest of the body may be unread: close the connection rather than drain a large remainder.
          reply.header('connection', 'close');
          throw mapMultipartError(error);
        }
      },
    );

    app.get(
      '/documents',
      {
        schema: {
          tags,
          summary: 'Your library, newest first: `cursor` or `offset` paging, filters, sparse `fields`.',
          security,
          querystring: ListQuery,
          response: { 200: DocumentPage },
        },
      },
      async (request) => {
        const page = await documents.list(request.actor, request.query);
        return {
          items: page.items.map((row) => presentFields(row, request.query.fields)),
          nextCursor: page.nextCursor,
        };
      },
    );

    app.get(
      '/documents/:id',
      { schema: { tags, summary: 'One document.', security, params: IdParams, response: { 200: Document } } },
      async (request) => presentDocument(await documents.get(request.actor, request.params.id)),
    );

    app.patch(
      '/documents/:id',
      {
        schema: {
          tags,
          summary: 'Rename a document or replace its tags.',
          security,
          params: IdParams,
          body: PatchBody,
          response: { 200: Document },
        },
      },
      async (request) =>
        presentDocument(await documents.update(request.actor, request.params.id, request.body)),
    );

    app.delete(
      '/documents/:id',
      {
        schema: {
          tags,
          summary: 'Delete a document with its chunks, vectors, summary and file.',
          security,
          params: IdParams,
          response: { 204: NoContent },
        },
      },
      async (request, reply) => {
        await documents.delete(request.actor, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/documents/:id/file',
      {
        schema: {
          tags,
          summary: 'Download the original file (one `Range` supported), as an attachment.',
          security,
          params: IdParams,
          response: {
            200: {
              description: 'The file.',
              content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
            },
            206: {
              description: 'A byte range.',
              content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
            },
          },
        },
      },
      async (request, reply) => {
        let range: { start: number; end: number } | undefined;
        const { document, blob } = await documents.openFile(request.actor, request.params.id, (size) => {
          const parsed = parseRangeHeader(request.headers.range, size);
          if (parsed === 'unsatisfiable') throw rangeNotSatisfiable(size);
          return (range = parsed);
        });
        reply.code(range ? 206 : 200).headers({
          'content-type': document.mime,
          'content-length': blob.bytes,
          'accept-ranges': 'bytes',
          'content-disposition': attachment(document.file_name ?? `${document.title}`),
        });
        if (range) reply.header('content-range', `bytes ${range.start}-${range.end}/${document.byte_size}`);
        return reply.send(blob.body);
      },
    );

    app.get(
      '/documents/:id/summary',
      {
        schema: {
          tags,
          summary: 'The document’s summary (409 DOCUMENT_NOT_READY while it is processing).',
          security,
          params: IdParams,
          response: { 200: Summary },
        },
      },
      async (request) => presentSummary(await documents.summary(request.actor, request.params.id)),
    );

    app.get(
      '/documents/:id/chunks',
      {
        schema: {
          tags,
          summary: 'The document’s chunks in order, with their pages.',
          security,
          params: IdParams,
          querystring: ChunkQuery,
          response: { 200: ChunkPage },
        },
      },
      async (request) => {
        const page = await documents.chunks(request.actor, request.params.id, {
          limit: request.query.limit,
          afterOrd: request.query.cursor === undefined ? -1 : Number(request.query.cursor),
        });
        return { items: page.items.map(presentChunk), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/documents/:id/reprocess',
      {
        schema: {
          tags,
          summary: 'Process a ready or failed document again (409 DOCUMENT_BUSY while it is processing).',
          security,
          params: IdParams,
          response: { 202: Reprocess },
        },
      },
      async (request, reply) =>
        reply.code(202).send(await documents.reprocess(request.actor, request.params.id)),
    );

    app.get(
      '/documents/:id/events',
      {
        schema: {
          tags,
          summary:
            'Processing progress as server-sent events: `snapshot`, `progress`…, then `ready` or `failed`.',
          security,
          params: IdParams,
          response: {
            200: {
              description: 'text/event-stream',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
          },
        },
      },
      async (request, reply) => {
        const { actor } = request;
        const { id } = request.params;
        await documents.progress(actor, id); // 404 before the stream opens
        const stream = deps.eventStreams.open(request, reply);
        const closed = new Promise<void>((resolve) => stream.onClose(resolve));
        await followProgress({
          read: () => documents.progress(actor, id),
          subscribe: (listener) => documents.subscribe(id, listener),
          emit: (event, progress) => stream.send(event, { id, ...progress }),
          closed,
        });
        stream.end();
      },
    );

    app.get(
      '/tags',
      {
        schema: {
          tags,
          summary: 'Your tags with the number of documents carrying each.',
          security,
          response: { 200: TagCounts },
        },
      },
      async (request) => ({ items: await documents.tagCounts(request.actor) }),
    );
  };
}

function fileMissing(): AppError {
  return new AppError('DOCUMENT_FILE_MISSING', 400, 'Send exactly one file, in a part named "file".');
}

/** @fastify/multipart's own limit errors, as this API's problems. */
function mapMultipartError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    return new AppError('DOCUMENT_TOO_LARGE', 413, 'The file is larger than the upload limit.');
  }
  if (code === 'FST_FILES_LIMIT') return fileMissing();
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_PROTO_VIOLATION') {
    return new AppError('DOCUMENT_INVALID_FIELD', 400, 'Too many or invalid multipart fields.');
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return new AppError('DOCUMENT_NOT_MULTIPART', 415, 'Send the file as multipart/form-data.');
  }
  return error;
}

/** RFC 6266 attachment with an ASCII fallback and the UTF-8 name (RFC 8187). */
function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
