import type { Readable } from 'node:stream';
import { uuidv7 } from 'uuidv7';
import { AppError } from '../errors.ts';

/** Where uploads, extracted pages and photos live: a local directory or an S3-compatible bucket. */
export interface BlobStorage {
  readonly kind: 'local' | 's3';
  /**
   * Streams `body` to `key`; never buffers the whole object. Rejects (and leaves nothing behind) past
   * maxBytes with AppError('STORAGE_TOO_LARGE', 413).
   */
  put(
    key: string,
    body: Readable,
    options: { contentType: string; maxBytes?: number },
  ): Promise<{ bytes: number }>;
  /** Undefined when missing. Range is inclusive bytes [start, end]; one past the end rejects with 416. */
  get(key: string, range?: ByteRange): Promise<StoredBlob | undefined>;
  head(key: string): Promise<{ bytes: number; contentType: string } | undefined>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
  /** Short-lived URL a client can GET without other credentials. */
  signedGetUrl(key: string, ttlSeconds: number): Promise<string>;
  /** One short-lived GET URL per key, in order: a page of photos is signed in one call. */
  signedGetUrls(keys: readonly string[], ttlSeconds: number): Promise<string[]>;
  /** Short-lived URL + headers for a client's direct PUT, bound to content type and max size. */
  signedPutUrl(
    key: string,
    options: SignedPutOptions,
  ): Promise<{ url: string; headers: Record<string, string> }>;
  /** For /health/ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ByteRange {
  start: number;
  end?: number;
}

export interface StoredBlob {
  body: Readable;
  /** Bytes in `body` (the range's length for a ranged get). */
  bytes: number;
  totalBytes: number;
  contentType: string;
}

export interface SignedPutOptions {
  contentType: string;
  maxBytes: number;
  ttlSeconds: number;
}

const PREFIX = /^[a-z0-9-]+$/;
const KEY = /^[a-z0-9-]+\/[0-9a-f-]{36}$/;

/** Keys are always generated here, so no client-chosen name ever reaches a path or an S3 key. */
export function newBlobKey(prefix: string): string {
  if (!PREFIX.test(prefix)) throw new TypeError(`Invalid blob key prefix ${JSON.stringify(prefix)}`);
  return `${prefix}/${uuidv7()}`;
}

/** Every adapter method checks its key first: no `..`, slashes or dots can get through. */
export function assertBlobKey(key: string): void {
  if (!KEY.test(key)) {
    throw new AppError('STORAGE_INVALID_KEY', 400, 'The file key is not one this server issued.');
  }
}
