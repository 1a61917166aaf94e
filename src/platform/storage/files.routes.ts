import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PassThrough, Readable } from 'node:stream';
import { AppError } from '../errors.ts';
import type { BlobStorage } from './blob-storage.ts';
import { parseRangeHeader } from './byte-range.ts';
import { rangeNotSatisfiable, tooLarge } from './storage-errors.ts';
import type { UrlSigner } from './url-signer.ts';

const Params = Type.Object({
  prefix: Type.String({ pattern: '^[a-z0-9-]+$' }),
  id: Type.String({ pattern: '^[0-9a-f-]{36}$' }),
});
const Signature = {
  exp: Type.Integer({ description: 'Expiry, Unix seconds.' }),
  sig: Type.String({ description: 'HMAC-SHA256 of the grant, base64url.' }),
};
// Plain JSON Schema, not TypeBox: the body is a stream, so there is no reply type to infer.
const Bytes = (description: string) => ({
  description,
  content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
});

/**
 * The URLs the local adapter signs (`/files/<key>?exp=…&sig=…`): the signature is the only credential.
 * S3 deployments never issue these; their signed URLs point at the bucket.
 */
export function filesRoutes(storage: BlobStorage, signer: UrlSigner): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Uploads of any type arrive as a raw stream; only inside this plugin.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    app.route({
      method: ['GET', 'HEAD'],
      url: '/files/:prefix/:id',
      schema: {
        tags: ['files'],
        summary: 'Download a file through a signed URL; supports one `Range`.',
        description:
          'Errors: 403 STORAGE_URL_INVALID / STORAGE_URL_EXPIRED, 404 STORAGE_NOT_FOUND, ' +
          '416 STORAGE_RANGE_NOT_SATISFIABLE.',
        hide: false,
        params: Params,
        querystring: Type.Object(Signature),
        headers: Type.Object({
          range: Type.Optional(Type.String({ examples: ['bytes=0-1023', 'bytes=-500'] })),
        }),
        response: {
          200: Bytes('The whole file.'),
          206: Bytes('The requested byte range (`Content-Range`).'),
        },
      },
      handler: async (request, reply) => {
        const key = `${request.params.prefix}/${request.params.id}`;
        const grant = signer.verify('GET', key, { exp: request.query.exp, sig: request.query.sig });
        const head = await storage.head(key);
        if (!head) throw notFound();
        const range = parseRangeHeader(request.headers.range, head.bytes);
        if (range === 'unsatisfiable') throw rangeNotSatisfiable(head.bytes);

        reply.code(range ? 206 : 200).headers({
          'content-type': head.contentType,
          'content-length': range ? range.end - range.start + 1 : head.bytes,
          'accept-ranges': 'bytes',
          'cache-control': `private, max-age=${grant.secondsLeft}`,
          // The signature is the access check; web clients on other origins embed these (img, PDF viewers).
          'cross-origin-resource-policy': 'cross-origin',
        });
        if (range) reply.header('content-range', `bytes ${range.start}-${range.end}/${head.bytes}`);
        if (request.method === 'HEAD') return reply.send();
        const blob = await storage.get(key, range);
        if (!blob) throw notFound();
        return reply.send(blob.body);
      },
    });

    app.put(
      '/files/:prefix/:id',
      {
        schema: {
          tags: ['files'],
          summary: 'Upload a file through a signed URL, with the Content-Type it was issued for.',
          description:
            'Any body type, streamed. Errors: 403 STORAGE_URL_INVALID / STORAGE_URL_EXPIRED, ' +
            '413 STORAGE_TOO_LARGE, 415 STORAGE_UNSUPPORTED_MEDIA_TYPE.',
          params: Params,
          querystring: Type.Object({
            ...Signature,
            type: Type.String({ description: 'The Content-Type the upload must carry.' }),
            max: Type.Integer({ minimum: 0, description: 'Most bytes the upload may have.' }),
          }),
          headers: Type.Object({ 'content-type': Type.String() }),
          response: { 201: Type.Object({ bytes: Type.Integer({ description: 'Bytes stored.' }) }) },
        },
      },
      async (request, reply) => {
        const key = `${request.params.prefix}/${request.params.id}`;
        const { type, max } = request.query;
        signer.verify('PUT', key, request.query);
        if (request.headers['content-type'] !== type) {
          throw new AppError('STORAGE_UNSUPPORTED_MEDIA_TYPE', 415, `This upload URL takes ${type} only.`);
        }
        if (Number(request.headers['content-length'] ?? 0) > max) throw tooLarge(max);
        // pipeline() destroys its source when the size limit trips; were that the request itself, the
        // socket would die before the 413 is sent.
        const source = (request.body as Readable | undefined) ?? Readable.from([]);
        const stored = await storage
          .put(key, source.pipe(new PassThrough()), { contentType: type, maxBytes: max })
          .catch((error: unknown) => {
            // The rest of the body is unread: close the connection rather than drain a possibly huge remainder.
            reply.header('connection', 'close');
            throw error;
          });
        return reply.code(201).send({ bytes: stored.bytes });
      },
    );
  };
}

function notFound(): AppError {
  return new AppError('STORAGE_NOT_FOUND', 404, 'No file is stored at this URL.');
}
