import { defineErrors } from '../errors.ts';

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
    when: 'The AI provider could not be reached, kept failing (5xx) after two retries, or broke off a stream.',
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
