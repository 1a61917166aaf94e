import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../users/index.ts';
import type { PhotosService } from './photos.service.ts';
import { PhotoUploads, PhotoUploadsBody } from './social.schema.ts';

export function photosRoutes(photos: PhotosService, authenticate: Authenticate): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    app.post(
      '/posts/photo-uploads',
      {
        schema: {
          tags: ['social'],
          summary: 'Upload slots for a post’s photos: one presigned PUT URL per photo.',
          description:
            'Each URL takes exactly the declared content type and at most the declared size, until ' +
            '`expiresAt`; name the keys in `POST /posts` `photos` before then. Errors: 413 ' +
            'SOCIAL_PHOTO_TOO_LARGE (over SOCIAL_PHOTO_MAX_BYTES).',
          security: [{ bearer: [] }],
          body: PhotoUploadsBody,
          response: { 201: PhotoUploads },
        },
      },
      async (request, reply) => {
        const slots = await photos.createSlots(request.actor, request.body.photos);
        return reply
          .code(201)
          .send({ items: slots.map((s) => ({ ...s, expiresAt: s.expiresAt.toISOString() })) });
      },
    );
  };
}
