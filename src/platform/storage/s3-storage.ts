import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { pipeline, type Readable } from 'node:stream';
import type { Config } from '../../config.ts';
import { assertBlobKey, type BlobStorage } from './blob-storage.ts';
import { ByteLimit } from './byte-limit.ts';
import { rangeNotSatisfiable, tooLarge } from './storage-errors.ts';

export interface S3StorageOptions {
  /** Records `s3_operation_latency_seconds{operation}`. */
  observe?: (operation: string, seconds: number) => void;
  /** The signing clock in milliseconds; tests sign URLs in the past instead of sleeping. */
  now?: () => number;
}

const OCTET_STREAM = 'application/octet-stream';

/** An S3-compatible bucket (AWS, MinIO, Ceph, s3rver). Clients up- and download through presigned URLs. */
export function createS3Storage(s3: NonNullable<Config['s3']>, options: S3StorageOptions = {}): BlobStorage {
  const client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials:
      s3.accessKeyId && s3.secretAccessKey
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : undefined,
    // Since 3.729 the SDK adds CRC32 checksums by default, signing one of the *empty* body into presigned
    // PUTs (the client's real upload then fails) and sending headers many non-AWS stores reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = s3.bucket;
  const signingDate = () => new Date((options.now ?? Date.now)());

  async function signGet(key: string, ttlSeconds: number): Promise<string> {
    assertBlobKey(key);
    return getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key }), {
      expiresIn: ttlSeconds,
      signingDate: signingDate(),
    });
  }

  async function timed<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      options.observe?.(operation, (performance.now() - started) / 1000);
    }
  }

  return {
    kind: 's3',

    async put(key, body, { contentType, maxBytes }) {
      assertBlobKey(key);
      const limit = new ByteLimit(maxBytes);
      // A failure of either stream reaches the Upload, which reads `limit`.
      const counted = pipeline(body, limit, () => {});
      // Upload sends one PutObject, or a multipart upload it aborts on failure: no object is left either way.
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: counted, ContentType: contentType },
      });
      try {
        await timed('put', () => upload.done());
      } catch (error) {
        counted.destroy();
        // The abort of a multipart upload may fail after the limit tripped; the limit is still the reason.
        throw limit.exceeded ? tooLarge(limit.maxBytes) : error;
      }
      return { bytes: limit.bytes };
    },

    async get(key, range) {
      assertBlobKey(key);
      // S3 ignores an inverted Range and sends the whole object; the port refuses it like the local one.
      if (range?.end !== undefined && range.end < range.start) throw rangeNotSatisfiable();
      const Range = range && `bytes=${range.start}-${range.end ?? ''}`;
      try {
        const res = await timed('get', () => client.send(new GetObjectCommand({ Bucket, Key: key, Range })));
        const bytes = res.ContentLength ?? 0;
        const total = res.ContentRange?.match(/\/(\d+)$/)?.[1];
        return {
          body: res.Body as Readable,
          bytes,
          totalBytes: total === undefined ? bytes : Number(total),
          contentType: res.ContentType ?? OCTET_STREAM,
        };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        if (statusOf(error) === 416) throw rangeNotSatisfiable();
        throw error;
      }
    },

    async head(key) {
      assertBlobKey(key);
      try {
        const res = await timed('head', () => client.send(new HeadObjectCommand({ Bucket, Key: key })));
        return { bytes: res.ContentLength ?? 0, contentType: res.ContentType ?? OCTET_STREAM };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async delete(key) {
      assertBlobKey(key);
      await timed('delete', () => client.send(new DeleteObjectCommand({ Bucket, Key: key })));
    },

    signedGetUrl: signGet,

    // Presigning is local computation (no request to the bucket): one call signs the whole batch.
    async signedGetUrls(keys, ttlSeconds) {
      keys.forEach(assertBlobKey);
      return Promise.all(keys.map((key) => signGet(key, ttlSeconds)));
    },

    // The presigner leaves Content-Type unsigned unless told (aws-sdk-js-v3#3497); signed, S3 refuses any
    // other type. The size cannot be bound: a presigned PUT has no content-length-range (only a POST policy
    // does), so the API that issues the slot checks the size with head() once the client reports the upload
    // done, and deletes what is over.
    async signedPutUrl(key, { contentType, ttlSeconds }) {
      assertBlobKey(key);
      const url = await getSignedUrl(
        client,
        new PutObjectCommand({ Bucket, Key: key, ContentType: contentType }),
        {
          expiresIn: ttlSeconds,
          signingDate: signingDate(),
          signableHeaders: new Set(['content-type']),
        },
      );
      return { url, headers: { 'content-type': contentType } };
    },

    async ping() {
      await timed('ping', () => client.send(new HeadBucketCommand({ Bucket })));
    },

    async close() {
      client.destroy();
    },
  };
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}
