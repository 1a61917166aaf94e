import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.ts';

/** What a Lectern-signed /files URL grants: one method on one key until `exp`, and for PUT a type and size. */
export interface UrlGrant {
  method: 'GET' | 'PUT';
  key: string;
  /** Unix seconds. */
  exp: number;
  contentType?: string;
  maxBytes?: number;
}

export interface SignedQuery {
  exp: number;
  sig: string;
  type?: string;
  max?: number;
}

export interface UrlSigner {
  /** `/files/<key>?…` for the grant, valid for `ttlSeconds` from now. */
  signPath(grant: Omit<UrlGrant, 'exp'>, ttlSeconds: number): string;
  /** The grant a request's query carries; throws STORAGE_URL_INVALID / STORAGE_URL_EXPIRED (403). */
  verify(method: UrlGrant['method'], key: string, query: SignedQuery): UrlGrant & { secondsLeft: number };
}

/**
 * HMAC-SHA256 (URL_SIGNING_SECRET) over method, key, expiry and the PUT bounds, base64url. `now` is the
 * clock in milliseconds, replaceable so tests expire URLs without sleeping.
 */
export function createUrlSigner(secret: string, now: () => number = Date.now): UrlSigner {
  const mac = (grant: UrlGrant) =>
    createHmac('sha256', secret)
      .update([grant.method, grant.key, grant.exp, grant.contentType ?? '', grant.maxBytes ?? ''].join('\n'))
      .digest('base64url');
  const nowSeconds = () => Math.floor(now() / 1000);

  return {
    signPath(grant, ttlSeconds) {
      const signed: UrlGrant = { ...grant, exp: nowSeconds() + ttlSeconds };
      const query = new URLSearchParams({ exp: String(signed.exp) });
      if (signed.contentType !== undefined) query.set('type', signed.contentType);
      if (signed.maxBytes !== undefined) query.set('max', String(signed.maxBytes));
      query.set('sig', mac(signed));
      return `/files/${grant.key}?${query.toString()}`;
    },

    verify(method, key, query) {
      const grant: UrlGrant = { method, key, exp: query.exp, contentType: query.type, maxBytes: query.max };
      // Compared as text: decoding base64url would accept variants of the last character.
      const expected = Buffer.from(mac(grant));
      const given = Buffer.from(query.sig);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new AppError('STORAGE_URL_INVALID', 403, 'The file URL signature is not valid.');
      }
      const secondsLeft = grant.exp - nowSeconds();
      if (secondsLeft < 0) {
        throw new AppError('STORAGE_URL_EXPIRED', 403, 'The file URL has expired; request a new one.');
      }
      return { ...grant, secondsLeft };
    },
  };
}
