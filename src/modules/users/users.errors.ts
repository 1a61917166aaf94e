import { defineErrors } from '../../platform/errors.ts';

export const USER_ERRORS = defineErrors({
  AUTH_UNAUTHENTICATED: {
    status: 401,

    when: 'No credentials, or an access/API token that is missing, expired, tampered, signed with another key or algorithm, or whose user no longer exists.',
  },
  AUTH_INVALID_CREDENTIALS: {
    status: 401,

    when: 'Email and password do not match an account.',
  },
  AUTH_REFRESH_INVALID: {
    status: 401,

    when: 'The refresh token is unknown, expired or revoked. Reusing a rotated one revokes its whole family.',
  },
  AUTH_LOGIN_LOCKED: {
    status: 429,

    when: 'Too many failed logins for this account from this address; `Retry-After` says when to try again.',
  },
  AUTH_FORBIDDEN: { status: 403, when: 'The route needs the admin role (ADMIN_EMAILS).' },
  USER_EMAIL_TAKEN: { status: 409, when: 'An account with this email exists.' },
  TOKEN_NOT_FOUND: { status: 404, when: 'No API token with this id belongs to you.' },
});
