import { APIConnectionError, APIConnectionTimeoutError, APIError, RateLimitError } from 'openai';
import { AppError } from '../errors.ts';

/** The upstream answered, but not with anything we can use. Never quote the body: it is not ours to show. */
export function badResponse(what: string, cause?: unknown): AppError {
  return new AppError('AI_BAD_RESPONSE', 502, `The AI provider sent an unusable answer: ${what}.`, { cause });
}

/**
 * Maps what the SDK threw (after its own retries) to an error a client may see. Details are fixed sentences:
 * upstream bodies, URLs and keys stay in `cause`, for the logs only.
 */
export function toAiError(
  error: unknown,
  deadline: { ms: number; caller: AbortSignal | undefined; expired: boolean },
): unknown {
  // The caller gave up (client gone, shutdown): not an upstream failure, so hand back their own reason.
  if (deadline.caller?.aborted) return deadline.caller.reason;
  if (deadline.expired || error instanceof APIConnectionTimeoutError) {
    return new AppError('AI_TIMEOUT', 504, `The AI provider did not answer within ${deadline.ms / 1000} s.`, {
      cause: error,
    });
  }
  if (error instanceof AppError) return error;
  if (error instanceof RateLimitError) {
    return new AppError('AI_RATE_LIMITED', 503, 'The AI provider is rate limiting us; retry later.', {
      headers: retryAfter(error.headers),
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) return unavailable(error);
  if (error instanceof APIError) {
    // No status: an error event inside a stream. 408/409 are retried by the SDK like 5xx.
    const status = (error as APIError).status;
    if (status === undefined || status >= 500 || status === 408 || status === 409) return unavailable(error);
    return new AppError('AI_REJECTED', 502, `The AI provider refused the request (status ${status}).`, {
      cause: error,
    });
  }
  if (error instanceof SyntaxError) return badResponse('invalid JSON', error);
  return error;
}

export function unavailable(cause: unknown): AppError {
  return new AppError('AI_UNAVAILABLE', 503, 'The AI provider is unavailable; retry shortly.', { cause });
}

/** Copies `Retry-After` only when it is what RFC 9110 §10.2.3 allows: seconds or an HTTP date. */
function retryAfter(headers: Headers): Record<string, string> {
  const value = headers.get('retry-after')?.trim();
  if (!value || (!/^\d{1,9}$/.test(value) && Number.isNaN(Date.parse(value)))) return {};
  return { 'retry-after': value };
}
