import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../users/index.ts';
import type { AudienceTagsService } from './audience-tags.service.ts';
import { presentTag } from './social.presenter.ts';
import {
  AudienceTag,
  AudienceTagBody,
  AudienceTagList,
  ConnectionTags,
  ConnectionTagsBody,
  IdParams,
  UserIdParams,
} from './social.schema.ts';

/** Your own labels for connections; a post for a tag is seen by the connections holding it. */
export function audienceTagsRoutes(
  tags: AudienceTagsService,
  authenticate: Authenticate,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    const security = [{ bearer: [] }];
    const openApiTags = ['social'];

    app.post(
      '/audience-tags',
      {
        config: { idempotent: true },
        schema: {
          tags: openApiTags,
          summary: 'Create an audience tag.',
          description: 'Honours Idempotency-Key. Errors: 409 SOCIAL_TAG_EXISTS.',
          security,
          body: AudienceTagBody,
          response: { 201: AudienceTag },
        },
      },
      async (request, reply) =>
        reply.code(201).send(presentTag(await tags.create(request.actor, request.body.name))),
    );

    app.get(
      '/audience-tags',
      {
        schema: {
          tags: openApiTags,
          summary: 'Your audience tags, by name.',
          security,
          response: { 200: AudienceTagList },
        },
      },
      async (request) => ({ items: (await tags.list(request.actor)).map(presentTag) }),
    );

    app.delete(
      '/audience-tags/:id',
      {
        schema: {
          tags: openApiTags,
          summary: 'Delete an audience tag: it leaves every connection and post that had it.',
          description: 'Errors: 404 SOCIAL_TAG_NOT_FOUND.',
          security,
          params: IdParams,
          response: { 204: { type: 'null' } },
        },
      },
      async (request, reply) => {
        await tags.delete(request.actor, request.params.id);
        return reply.code(204).send();
      },
    );

    app.put(
      '/connections/:userId/tags',
      {
        schema: {
          tags: openApiTags,
          summary: 'Replace your audience tags on a connection.',
          description: 'Errors: 404 SOCIAL_CONNECTION_NOT_FOUND | SOCIAL_TAG_NOT_FOUND.',
          security,
          params: UserIdParams,
          body: ConnectionTagsBody,
          response: { 200: ConnectionTags },
        },
      },
      async (request) => ({
        userId: request.params.userId,
        tagIds: await tags.setConnectionTags(request.actor, request.params.userId, request.body.tagIds),
      }),
    );
  };
}
