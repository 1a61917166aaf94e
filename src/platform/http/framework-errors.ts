import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { uuidv7 } from 'uuidv7';
import { AppError } from '../errors.ts';
import { PROBLEM_CONTENT_TYPE, problemType, sendProblem } from './problem.ts';

/**
 * Errors Fastify raises before a route runs (unparseable URL, overlong parameter). No hook has run, so this
 * sets the request id and the headers that matter for an error body itself.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError('HTTP_URI_TOO_LONG', 414, 'A path segment is too long.')
      : new AppError('HTTP_BAD_URL', 400, 'The URL cannot be decoded.');
  void sendProblem(
    request,
    reply.headers({
      'x-request-id': request.id,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    }),
    appError,
  );
}

/**
 * Requests Node's HTTP parser rejects (timeouts, oversized headers, malformed requests) never become Fastify
 * requests: answer them as problems on the raw socket, as Fastify's default handler does with plain JSON.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'HTTP_TIMEOUT', 'The request took too long to arrive.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HTTP_HEADERS_TOO_LARGE', 'The request headers are too large.']
        : [400, 'HTTP_BAD_REQUEST', 'The request is malformed.'];
  const requestId = uuidv7();
  const title = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ type: problemType(code), title, status, detail, code, requestId });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
