import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
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
} from './documents.schema.ts';
import type { DocumentsService } from './documents.service.ts';

export interface DocumentsRoutesDeps {
  documents: DocumentsService;
  authenticate: Authenticate;
}

const security = [{ bearer: [] }];
const tags = ['documents'];

/** The library: list, read, edit, delete, download and reprocess documents; the tag counts. */
export function documentsRoutes(deps: DocumentsRoutesDeps): FastifyPluginAsyncTypebox {
  const { documents } = deps;
  return async (app) => {
    app.addHook('onRequest', deps.authenticate);

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

/** RFC 6266 attachment with an ASCII fallback and the UTF-8 name (RFC 8187). */
function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
