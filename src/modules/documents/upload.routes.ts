import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../platform/errors.ts';
import type { Authenticate } from '../users/index.ts';
import { presentDocument } from './documents.presenter.ts';
import { UploadForm, UploadResult } from './documents.schema.ts';
import { createFieldCollector } from './upload-fields.ts';
import type { StagedUpload, UploadsService } from './uploads.service.ts';

export interface UploadRoutesDeps {
  uploads: UploadsService;
  authenticate: Authenticate;
  maxUploadBytes: number;
}

/** POST /documents: the multipart upload, streamed to storage; multipart parsing is registered here only. */
export function uploadRoutes(deps: UploadRoutesDeps): FastifyPluginAsyncTypebox {
  const { uploads } = deps;
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
          tags: ['documents'],
          summary: 'Upload a document (multipart: `file`, optional `title`, `tags` comma-separated, `kind`).',
          description:
            'PDF, plain text, Markdown or HTML, decided from the bytes. Streamed to storage while hashed: ' +
            'the same bytes again answer 200 with the existing document and `duplicateOf`. Honours ' +
            'Idempotency-Key. Errors: 400 DOCUMENT_FILE_MISSING / DOCUMENT_INVALID_FIELD, 413 ' +
            'DOCUMENT_TOO_LARGE / DOCUMENT_QUOTA_EXCEEDED, 415 DOCUMENT_NOT_MULTIPART / ' +
            'DOCUMENT_UNSUPPORTED_TYPE / DOCUMENT_TYPE_MISMATCH, 422 DOCUMENT_EMPTY.',
          security: [{ bearer: [] }],
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
            staged = await uploads.stageUpload(request.actor, part.file, {
              mimetype: part.mimetype,
              fileName: part.filename,
            });
          }
          if (!staged) throw fileMissing();
          const input = fields.parse();
          const replayed = await request.claimIdempotencyKey?.(`${staged.sha256}\n${JSON.stringify(input)}`);
          if (replayed) {
            await uploads.discard(staged);
            return replayed;
          }
          const created = await uploads.createFromUpload(request.actor, staged, input);
          staged = undefined;
          return reply
            .code(created.duplicateOf ? 200 : 201)
            .send({ ...presentDocument(created.document), duplicateOf: created.duplicateOf });
        } catch (error) {
          if (staged) await uploads.discard(staged);
          // The rest of the body may be unread: close the connection rather than drain a large remainder.
          reply.header('connection', 'close');
          throw mapMultipartError(error);
        }
      },
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
