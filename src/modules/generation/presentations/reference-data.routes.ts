import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { toJsonSchema } from '../structured/json-schema.ts';
import { LAYOUTS } from './layouts.ts';
import { TemplatesResponse, ThemesResponse } from './presentations.api-schema.ts';
import { TEMPLATES } from './templates.ts';
import { THEMES } from './themes.ts';

/** Ten minutes, per DESIGN §8. */
const MAX_AGE_SECONDS = 600;

// Templates and themes are constants of the release, so "cached" means HTTP caching: the bodies and their
// ETags are computed once at start, clients and proxies reuse them for 10 minutes (`Cache-Control: public`,
// they are the same for everyone), then revalidate with `If-None-Match` for a 304. No app cache is needed.
function cachedBody<T>(body: T) {
  const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
  return { body, etag };
}

const templates = cachedBody({
  items: TEMPLATES.map((template) => ({
    id: template.id,
    name: template.name,
    description: template.description,
    layouts: template.layouts.map((id) => ({
      id,
      description: LAYOUTS[id].description,
      schema: toJsonSchema(LAYOUTS[id].content),
    })),
  })),
});
const themes = cachedBody({ items: [...THEMES] });

/** GET /templates and GET /themes: public reference data, the same for every caller. */
export function referenceDataRoutes(): FastifyPluginAsyncTypebox {
  return async (app) => {
    const serve = <T>(cached: { body: T; etag: string }) =>
      async function (request: FastifyRequest, reply: FastifyReply) {
        reply.header('cache-control', `public, max-age=${MAX_AGE_SECONDS}`);
        reply.header('etag', cached.etag);
        const match = request.headers['if-none-match'];
        if (match?.split(/\s*,\s*/).includes(cached.etag)) return reply.code(304).send();
        return cached.body;
      };

    app.get(
      '/templates',
      {
        schema: {
          tags: ['presentations'],
          summary:
            'Deck templates: sets of slide layouts, each with its description and content JSON Schema.',
          description:
            'Public and the same for everyone: `Cache-Control: public, max-age=600` with an ETag; `If-None-Match` gets a 304.',
          response: { 200: TemplatesResponse },
        },
      },
      serve(templates),
    );

    app.get(
      '/themes',
      {
        schema: {
          tags: ['presentations'],
          summary: 'Deck themes: design tokens (colours, fonts, corner radius).',
          description:
            'Public and the same for everyone: `Cache-Control: public, max-age=600` with an ETag; `If-None-Match` gets a 304.',
          response: { 200: ThemesResponse },
        },
      },
      serve(themes),
    );
  };
}
