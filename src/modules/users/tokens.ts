import { createSigner, createVerifier } from 'fast-jwt';
import { createHash, randomBytes } from 'node:crypto';

export const API_TOKEN_PREFIX = 'lct_';
const REFRESH_TOKEN_PREFIX = 'lrt_';
const ISSUER = 'lectern';

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function newApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function newRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Short-lived HS256 access tokens. Only HS256 verifies: `alg: none` and any other algorithm are rejected. */
export function createAccessTokens(secret: string, ttlSeconds: number) {
  const sign = createSigner({ key: secret, algorithm: 'HS256', expiresIn: ttlSeconds * 1000, iss: ISSUER });
  const verify = createVerifier({ key: secret, algorithms: ['HS256'], allowedIss: ISSUER, cache: 1000 });
  return {
    ttlSeconds,
    sign: (userId: string): string => sign({ sub: userId, typ: 'access' }),
    /** The user id, or undefined for any token that is not a valid, unexpired access token of ours. */
    verify(token: string): string | undefined {
      try {
        const claims = verify(token) as { sub?: unknown; typ?: unknown };
        return claims.typ === 'access' && typeof claims.sub === 'string' ? claims.sub : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;
