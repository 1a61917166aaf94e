import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The documented form of a body the handler streams itself (multipart uploads): shown in the OpenAPI
     * document, never used to validate (the body is not parsed before the handler runs).
     */
    streamedBody?: unknown;
  }
}

/** OpenAPI 3.1 generated from the route schemas; the reference UI at /docs and the JSON at /docs/json. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Lectern API',
        version,
        description:
          'Library, knowledge, generation and social APIs for AI content apps. Errors are RFC 9457 ' +
          '`application/problem+json` with a stable `code` (see docs/errors.md).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'JWT access token or API token (`lct_…`).' },
        },
      },
    },
    transform: ({ schema, url }) => {
      if (!schema?.streamedBody) return { schema, url };
      const { streamedBody, ...rest } = schema;
      return { schema: { ...rest, body: streamedBody }, url };
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Lectern is served over plain HTTP on localhost in embedded mode; upgrading would break the page.
    transformStaticCSP: (header) => header.replace(/upgrade-insecure-requests;?\s*/, ''),
  });
}
