import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { AppError } from '../errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, with our stable `code` and the request id. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export function problemType(code: string): string {
  return `urn:lectern:problem:${code}`;
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const title = STATUS_CODES[error.status] ?? 'Error';
  const body: Problem = {
    ...error.extensions,
    type: problemType(error.code),
    title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    requestId: request.id,
  };
  return reply.code(error.status).headers(error.headers).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Maps whatever was thrown to a problem a client may see: no stack, SQL or path ever leaves. */
export function toAppError(error: FastifyError | Error): AppError {
  if (error instanceof AppError) return error;
  const e = error as FastifyError & {
    validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[];
    validationContext?: string;
  };
  if (e.validation) {
    const context = e.validationContext ?? 'body';
    const errors = e.validation.map((v) => {
      const field = v.params?.missingProperty ?? v.params?.additionalProperty;
      return {
        path: `${context}${v.instancePath}${typeof field === 'string' ? `/${field}` : ''}`,
        message: v.message ?? 'is invalid',
      };
    });
    return new AppError('HTTP_VALIDATION_FAILED', 400, `The request ${context} is invalid.`, {
      extensions: { errors },
    });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('HTTP_BODY_TOO_LARGE', 413, 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(
        'HTTP_UNSUPPORTED_MEDIA_TYPE',
        415,
        'This route does not accept that Content-Type.',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('HTTP_BAD_REQUEST', 400, 'The JSON body is empty.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('HTTP_BAD_REQUEST', 400, 'The body is not valid JSON.');
  }
  if (e.statusCode === 400 && e instanceof SyntaxError) {
    return new AppError('HTTP_BAD_REQUEST', 400, 'The body is not valid JSON.');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError(
      'HTTP_CLIENT_ERROR',
      e.statusCode,
      STATUS_CODES[e.statusCode] ?? 'The request was refused.',
    );
  }
  // A row this request refers to was deleted meanwhile (e.g. the account, by a concurrent request).
  if (e.code === '23503') {
    return new AppError('HTTP_CONFLICT', 409, 'Something this request refers to no longer exists.');
  }
  if (isConnectionFailure(e)) {
    return new AppError('DB_UNAVAILABLE', 503, 'The database is unavailable; retry shortly.', {
      headers: { 'retry-after': '2' },
    });
  }
  return new AppError('INTERNAL_ERROR', 500, 'An unexpected error occurred.');
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08006',
  '08001',
  '08003',
]);

function isConnectionFailure(error: { code?: string; message?: string }): boolean {
  return (
    (error.code !== undefined && CONNECTION_CODES.has(error.code)) ||
    /Connection terminated/i.test(error.message ?? '')
  );
}

export function registerProblemHandlers(
  app: FastifyInstance,
  allowedMethods: (method: string, path: string) => string[],
): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, appError);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allow = allowedMethods(request.method, path);
    if (allow.length > 0) {
      return sendProblem(
        request,
        reply,
        new AppError('HTTP_METHOD_NOT_ALLOWED', 405, `${request.method} is not allowed on ${path}.`, {
          headers: { allow: allow.join(', ') },
        }),
      );
    }
    return sendProblem(request, reply, new AppError('HTTP_NOT_FOUND', 404, `No resource at ${path}.`));
  });
}
