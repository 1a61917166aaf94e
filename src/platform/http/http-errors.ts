import { defineErrors } from '../errors.ts';

/** Error codes the HTTP platform itself answers with (modules define their own next to their routes). */
export const HTTP_ERRORS = defineErrors({
  HTTP_NOT_FOUND: {
    status: 404,

    when: 'No route matches the path, or the resource does not exist or is not yours.',
  },
  HTTP_METHOD_NOT_ALLOWED: {
    status: 405,

    when: 'The path exists but not for this method; `Allow` lists the methods it has.',
  },
  HTTP_VALIDATION_FAILED: {
    status: 400,

    when: 'Path, query, headers or body do not match the route schema; `errors[]` names each field.',
  },
  HTTP_BAD_REQUEST: {
    status: 400,

    when: 'The request cannot be read (malformed JSON, empty JSON body, bad header).',
  },
  HTTP_INVALID_CURSOR: {
    status: 400,

    when: 'The `cursor` query parameter is not a nextCursor this API issued.',
  },
  HTTP_BAD_URL: { status: 400, when: 'The URL cannot be decoded (e.g. a malformed percent-escape).' },
  HTTP_URI_TOO_LONG: { status: 414, when: 'A path segment is longer than the router accepts.' },
  HTTP_HEADERS_TOO_LARGE: { status: 431, when: 'The request headers are larger than the server accepts.' },
  HTTP_CLIENT_ERROR: {
    status: 400,
    when: 'Another 4xx raised by the HTTP layer; `status` says which (e.g. 406).',
  },
  HTTP_CONFLICT: { status: 409, when: 'A resource the request refers to was deleted while it ran.' },
  HTTP_BODY_TOO_LARGE: {
    status: 413,

    when: 'The body is over the limit (BODY_LIMIT_BYTES, 10 MB by default).',
  },
  HTTP_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,

    when: 'The Content-Type is not one the route accepts.',
  },
  HTTP_TIMEOUT: {
    status: 408,

    when: 'The client did not send the whole request within REQUEST_TIMEOUT_MS.',
  },
  HTTP_OVERLOADED: {
    status: 503,

    when: 'The process is overloaded (event-loop delay); retry after `Retry-After` seconds.',
  },
  HTTP_SHUTTING_DOWN: {
    status: 503,

    when: 'The process is shutting down; retry on another instance.',
  },
  DB_BUSY: {
    status: 503,

    when: 'The embedded database session stayed busy longer than DB_BUSY_TIMEOUT_MS.',
  },
  DB_UNAVAILABLE: {
    status: 503,

    when: 'The database cannot be reached; retry after `Retry-After` seconds.',
  },
  HEALTH_NOT_READY: {
    status: 503,

    when: 'A component /health/ready checks is down; `components` says which.',
  },
  INTERNAL_ERROR: {
    status: 500,

    when: 'A bug. The `requestId` finds the logged details.',
  },
});
