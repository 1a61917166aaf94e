import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../users/index.ts';
import { presentDocument, presentFields } from './documents.presenter.ts';
import { DocumentPage, StoryBody, StoryListQuery, UploadResult } from './documents.schema.ts';
import type { DocumentsService } from './documents.service.ts';
import type { UploadsService } from './uploads.service.ts';

/** Stories (Bookology): documents of kind `story` whose text arrives as JSON; same pipeline, same library. */
export function storiesRoutes(
  documents: DocumentsService,
  uploads: UploadsService,
  authenticate: Authenticate,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    const security = [{ bearer: [] }];
    const tags = ['stories'];

    app.post(
      '/stories',
      {
        config: { idempotent: true },
        schema: {
          tags,
          summary: 'Create a story from text; the same text again answers 200 with `duplicateOf`.',
          description: 'Honours Idempotency-Key. Errors: 413 DOCUMENT_QUOTA_EXCEEDED, 422 DOCUMENT_EMPTY.',
          security,
          body: StoryBody,
          response: { 200: UploadResult, 201: UploadResult },
        },
      },
      async (request, reply) => {
        const { title, text, tags: storyTags = [] } = request.body;
        const created = await uploads.createStory(request.actor, { title, text, tags: storyTags });
        return reply
          .code(created.duplicateOf ? 200 : 201)
          .send({ ...presentDocument(created.document), duplicateOf: created.duplicateOf });
      },
    );

    app.get(
      '/stories',
      {
        schema: {
          tags,
          summary: 'Your stories, newest first (same paging, filters and `fields` as the library).',
          security,
          querystring: StoryListQuery,
          response: { 200: DocumentPage },
        },
      },
      async (request) => {
        const page = await documents.list(request.actor, { ...request.query, kind: 'story' });
        return {
          items: page.items.map((row) => presentFields(row, request.query.fields)),
          nextCursor: page.nextCursor,
        };
      },
    );
  };
}
