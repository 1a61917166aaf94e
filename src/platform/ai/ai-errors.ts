import { AppError, defineErrors } from '../errors.ts';

export const AI_ERRORS = defineErrors({
  AI_TIMEOUT: {
    status: 504,
    when: 'The AI provider did not finish answering within AI_TIMEOUT_MS (60 s by default), retries and streaming included.',
  },
  AI_RATE_LIMITED: {
    status: 503,
    when: 'The AI provider still answered 429 after two retries; its `Retry-After` is passed on when it sent one.',
  },
  AI_UNAVAILABLE: {
    status: 503,
    when: 'The AI provider could not be reached, kept failing (5xx) after two retries, or broke off a stream; or no AI endpoint is configured (AI_BASE_URL) for an operation that needs one (text ops rewrite and expand).',
  },
  AI_REJECTED: {
    status: 502,
    when: 'The AI provider refused the request (a 4xx other than 429): usually a wrong AI_API_KEY or model name, or input it does not accept.',
  },
  AI_BAD_RESPONSE: {
    status: 502,
    when: 'The AI provider answered with something unusable: invalid JSON, an unexpected shape, vectors of the wrong size, or text that is not JSON where a JSON schema was asked for.',
  },
});

/** True for the errors above: the provider failed us, as opposed to our own bugs or the caller giving up. */
export function isAiError(error: unknown): error is AppError {
  return error instanceof AppError && Object.hasOwn(AI_ERRORS, error.code);
}
