import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import Fastify, { type FastifyInstance } from 'fastify';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { registerProblemHandlers } from '../../src/platform/http/problem.ts';
import { newBlobKey, type BlobStorage } from '../../src/platform/storage/blob-storage.ts';
import { createBlobStorage } from '../../src/platform/storage/create-blob-storage.ts';
import { filesRoutes } from '../../src/platform/storage/files.routes.ts';
import { createLocalStorage } from '../../src/platform/storage/local-storage.ts';
import { createS3Storage } from '../../src/platform/storage/s3-storage.ts';
import { createUrlSigner } from '../../src/platform/storage/url-signer.ts';
import { freePort } from '../harness/servers.ts';

// s3rver ships no types; this is the part of it the suite uses.
interface S3rverServer {
  run(): Promise<unknown>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
}) => S3rverServer;

const SECRET = randomBytes(32).toString('base64url');
const MiB = 1024 * 1024;

interface Harness {
  storage: BlobStorage;
  /** Shifts the clock that signs URLs (and, for local, verifies them). */
  clock: { offsetMs: number };
  /** Adapter operations recorded through `observe` (S3 only; the local adapter records none). */
  operations: string[];
  /** Objects or temp files stored under a key prefix, including half-written uploads. */
  leftovers(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

async function startLocal(): Promise<Harness & { app: FastifyInstance }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lectern-storage-'));
  const root = path.join(dir, 'files');
  const clock = { offsetMs: 0 };
  const signer = createUrlSigner(SECRET, () => Date.now() + clock.offsetMs);
  const app = Fastify();
  registerProblemHandlers(app, () => []);
  await app.register(filesRoutes(createLocalStorage({ root, signer }), signer));
  const publicBaseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const list = (sub: string) => readdir(path.join(root, sub)).catch(() => []);
  return {
    app,
    storage: createLocalStorage({ root, signer, publicBaseUrl }),
    clock,
    operations: [],
    leftovers: async (prefix) => [...(await list('.tmp')), ...(await list(prefix))],
    close: async () => {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startS3(): Promise<Harness & { endpoint: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lectern-s3rver-'));
  const port = await freePort();
  const server = new S3rver({ address: '127.0.0.1', port, directory: dir, silent: true });
  await server.run();
  const config = loadConfig({
    S3_BUCKET: 'lectern-test',
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
  }).s3!;
  const admin = new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  await admin.send(new CreateBucketCommand({ Bucket: config.bucket }));
  const clock = { offsetMs: 0 };
  const operations: string[] = [];
  const storage = createS3Storage(config, {
    observe: (operation, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      operations.push(operation);
    },
    now: () => Date.now() + clock.offsetMs,
  });
  return {
    storage,
    clock,
    operations,
    endpoint: config.endpoint!,
    leftovers: async (prefix) => {
      const res = await admin.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: `${prefix}/` }));
      return (res.Contents ?? []).map((o) => o.Key!);
    },
    close: async () => {
      await storage.close();
      admin.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `size` random bytes in 64 KiB chunks, hashed as they are produced. */
function generated(size: number) {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let sent = 0; sent < size; sent += 64 * 1024) {
      const chunk = randomBytes(Math.min(64 * 1024, size - sent));
      hash.update(chunk);
      yield chunk;
    }
  }
  return { stream: Readable.from(chunks()), sha256: () => hash.digest('hex') };
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Changes the first character of the URL's signature. */
function tampered(url: string): string {
  const parsed = new URL(url);
  const name = parsed.searchParams.has('sig') ? 'sig' : 'X-Amz-Signature';
  const sig = parsed.searchParams.get(name)!;
  parsed.searchParams.set(name, (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
  return parsed.toString();
}

describe.each([
  ['local', startLocal],
  ['s3', startS3],
] as const)('BlobStorage contract: %s adapter', (kind, start) => {
  let h: Harness;
  const small = randomBytes(1000);
  let smallKey: string;

  beforeAll(async () => {
    h = await start();
    smallKey = newBlobKey('contract');
    await h.storage.put(smallKey, Readable.from([small]), { contentType: 'text/plain' });
  });
  afterAll(() => h.close());

  it('reports its kind and answers ping', async () => {
    expect(h.storage.kind).toBe(kind);
    await expect(h.storage.ping()).resolves.toBeUndefined();
  });

  it('round-trips a multi-MB stream byte for byte, and heads it', async () => {
    const key = newBlobKey('round-trip');
    const size = 12 * MiB + 123; // several multipart parts on S3, and a short last one
    const source = generated(size);
    await expect(
      h.storage.put(key, source.stream, { contentType: 'application/pdf', maxBytes: 13 * MiB }),
    ).resolves.toEqual({ bytes: size });
    const blob = (await h.storage.get(key))!;
    expect({ ...blob, body: undefined }).toEqual({
      body: undefined,
      bytes: size,
      totalBytes: size,
      contentType: 'application/pdf',
    });
    expect(await sha256Of(blob.body)).toBe(source.sha256());
    expect(await h.storage.head(key)).toEqual({ bytes: size, contentType: 'application/pdf' });
  });

  it('stores an empty file', async () => {
    const key = newBlobKey('empty');
    expect(await h.storage.put(key, Readable.from([]), { contentType: 'text/plain' })).toEqual({ bytes: 0 });
    expect(await h.storage.head(key)).toEqual({ bytes: 0, contentType: 'text/plain' });
    const blob = (await h.storage.get(key))!;
    expect([blob.bytes, blob.totalBytes]).toEqual([0, 0]);
    expect((await buffer(blob.body)).length).toBe(0);
  });

  it('reads a middle, an open-ended and a suffix range', async () => {
    const middle = (await h.storage.get(smallKey, { start: 100, end: 199 }))!;
    expect([middle.bytes, middle.totalBytes]).toEqual([100, 1000]);
    expect(await buffer(middle.body)).toEqual(small.subarray(100, 200));

    const open = (await h.storage.get(smallKey, { start: 900 }))!;
    expect([open.bytes, open.totalBytes]).toEqual([100, 1000]);
    expect(await buffer(open.body)).toEqual(small.subarray(900));

    // The port's ranges are absolute: a suffix is the last n bytes of what head() reports.
    const { bytes } = (await h.storage.head(smallKey))!;
    const suffix = (await h.storage.get(smallKey, { start: bytes - 10, end: bytes + 5000 }))!;
    expect([suffix.bytes, suffix.totalBytes]).toEqual([10, 1000]);
    expect(await buffer(suffix.body)).toEqual(small.subarray(990));
  });

  it('refuses a range that starts past the end with 416', async () => {
    await expect(h.storage.get(smallKey, { start: 1000 })).rejects.toMatchObject({
      code: 'STORAGE_RANGE_NOT_SATISFIABLE',
      status: 416,
    });
  });

  it('answers undefined for a missing key', async () => {
    const key = newBlobKey('missing');
    expect(await h.storage.get(key)).toBeUndefined();
    expect(await h.storage.get(key, { start: 0, end: 10 })).toBeUndefined();
    expect(await h.storage.head(key)).toBeUndefined();
  });

  it('deletes idempotently', async () => {
    const key = newBlobKey('delete');
    await h.storage.put(key, Readable.from([Buffer.from('bye')]), { contentType: 'text/plain' });
    await h.storage.delete(key);
    expect(await h.storage.head(key)).toBeUndefined();
    expect(await h.storage.get(key)).toBeUndefined();
    await expect(h.storage.delete(key)).resolves.toBeUndefined();
    await expect(h.storage.delete(newBlobKey('delete'))).resolves.toBeUndefined();
  });

  it('rejects an upload past maxBytes with 413 and leaves nothing behind', async () => {
    // Past the first 5 MiB part, so S3 has a multipart upload to abort.
    const key = newBlobKey('too-large');
    const source = generated(6 * MiB);
    await expect(
      h.storage.put(key, source.stream, { contentType: 'video/mp4', maxBytes: 5.5 * MiB }),
    ).rejects.toMatchObject({ code: 'STORAGE_TOO_LARGE', status: 413 });
    expect(await h.storage.head(key)).toBeUndefined();
    expect(await h.leftovers('too-large')).toEqual([]);
  });

  it.each(['../etc/passwd', 'a/b/../../c', 'x', 'contract/../../../etc/passwd'])(
    'rejects the key %j with 400 before touching storage',
    async (key) => {
      const before = [...h.operations];
      let bodyRead = false;
      const body = new Readable({
        read() {
          bodyRead = true;
          this.push(null);
        },
      });
      const invalid = { code: 'STORAGE_INVALID_KEY', status: 400 };
      await expect(h.storage.put(key, body, { contentType: 'text/plain' })).rejects.toMatchObject(invalid);
      await expect(h.storage.get(key)).rejects.toMatchObject(invalid);
      await expect(h.storage.head(key)).rejects.toMatchObject(invalid);
      await expect(h.storage.delete(key)).rejects.toMatchObject(invalid);
      await expect(h.storage.signedGetUrl(key, 60)).rejects.toMatchObject(invalid);
      const put = { contentType: 'text/plain', maxBytes: 10, ttlSeconds: 60 };
      await expect(h.storage.signedPutUrl(key, put)).rejects.toMatchObject(invalid);
      expect(bodyRead).toBe(false);
      expect(h.operations).toEqual(before);
    },
  );

  it('serves a signed GET URL over HTTP', async () => {
    const res = await fetch(await h.storage.signedGetUrl(smallKey, 60));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(small);
  });

  it('signs a batch of GET URLs in one call, in order, each serving its own object', async () => {
    const bodies = [randomBytes(10), randomBytes(20), randomBytes(30)];
    const keys = bodies.map(() => newBlobKey('batch'));
    for (const [i, key] of keys.entries()) {
      await h.storage.put(key, Readable.from([bodies[i]!]), { contentType: 'image/png' });
    }
    const before = [...h.operations];
    const urls = await h.storage.signedGetUrls(keys, 60);
    expect(h.operations).toEqual(before); // signing sends no request to the store
    expect(urls).toHaveLength(3);
    for (const [i, url] of urls.entries()) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(bodies[i]);
    }
    expect(await h.storage.signedGetUrls([], 60)).toEqual([]);
    await expect(h.storage.signedGetUrls([keys[0]!, '../x'], 60)).rejects.toMatchObject({
      code: 'STORAGE_INVALID_KEY',
    });
  });

  it('reads the first bytes of an object with a ranged get (type sniffing)', async () => {
    const key = newBlobKey('sniff');
    const body = randomBytes(10_000);
    await h.storage.put(key, Readable.from([body]), { contentType: 'image/jpeg' });
    const head = (await h.storage.get(key, { start: 0, end: 4095 }))!;
    expect([head.bytes, head.totalBytes, head.contentType]).toEqual([4096, 10_000, 'image/jpeg']);
    expect(await buffer(head.body)).toEqual(body.subarray(0, 4096));
    const short = (await h.storage.get(smallKey, { start: 0, end: 4095 }))!;
    expect([short.bytes, short.totalBytes]).toEqual([1000, 1000]);
    expect(await buffer(short.body)).toEqual(small);
  });

  it('refuses a tampered signature (s3rver does not check SigV4 at all)', async () => {
    const res = await fetch(tampered(await h.storage.signedGetUrl(smallKey, 60)));
    await res.arrayBuffer();
    // s3rver's authentication middleware skips SigV4 verification ("unimplemented") and serves the
    // object; real S3 answers 403 SignatureDoesNotMatch.
    expect(res.status).toBe(kind === 'local' ? 403 : 200);
  });

  it('refuses an expired signed URL with 403', async () => {
    h.clock.offsetMs = -60_000; // signed a minute ago, valid for 1 s
    const url = await h.storage.signedGetUrl(smallKey, 1);
    h.clock.offsetMs = 0;
    const res = await fetch(url);
    expect(res.status).toBe(403);
    // s3rver does enforce X-Amz-Date + X-Amz-Expires on presigned URLs.
    expect(await res.text()).toMatch(kind === 'local' ? /STORAGE_URL_EXPIRED/ : /Request has expired/);
  });

  it('accepts a direct PUT to a signed upload URL with the returned headers', async () => {
    const key = newBlobKey('upload');
    const { url, headers } = await h.storage.signedPutUrl(key, {
      contentType: 'image/png',
      maxBytes: 1024,
      ttlSeconds: 60,
    });
    expect(headers).toEqual({ 'content-type': 'image/png' });
    const res = await fetch(url, { method: 'PUT', headers, body: randomBytes(700) });
    await res.arrayBuffer();
    expect(res.ok).toBe(true);
    expect(await h.storage.head(key)).toEqual({ bytes: 700, contentType: 'image/png' });
  });
});

describe('local /files routes', () => {
  let h: Awaited<ReturnType<typeof startLocal>>;
  const content = randomBytes(1000);
  let key: string;
  let url: string;

  beforeAll(async () => {
    h = await startLocal();
    key = newBlobKey('routes');
    await h.storage.put(key, Readable.from([content]), { contentType: 'application/pdf' });
    url = await h.storage.signedGetUrl(key, 60);
  });
  afterAll(() => h.close());

  const get = (range?: string) => fetch(url, { headers: range ? { range } : {} });

  async function expectProblem(res: Response, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status, code });
  }

  it('answers the whole file with length, ranges and a cache lifetime bounded by the signature', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=(59|60)$/);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(content);
  });

  it.each([
    ['bytes=100-199', 100, 199],
    ['bytes=900-', 900, 999],
    ['bytes=-10', 990, 999],
    ['bytes=990-5000', 990, 999],
    ['bytes=-5000', 0, 999],
  ])('answers %s with 206', async (range, start, end) => {
    const res = await get(range);
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/1000`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(Buffer.from(await res.arrayBuffer())).toEqual(content.subarray(start, end + 1));
  });

  it.each(['bytes=1000-', 'bytes=-0'])('answers the unsatisfiable %s with 416', async (range) => {
    const res = await get(range);
    expect(res.headers.get('content-range')).toBe('bytes */1000');
    await expectProblem(res, 416, 'STORAGE_RANGE_NOT_SATISFIABLE');
  });

  it('ignores a range it does not serve (several ranges) and sends the whole file', async () => {
    const res = await get('bytes=0-1,5-6');
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(1000);
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await fetch(url, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('content-type')).toBe('application/pdf');
  });

  it('answers a signed URL to a deleted file with 404', async () => {
    const gone = newBlobKey('routes');
    await h.storage.put(gone, Readable.from([Buffer.from('x')]), { contentType: 'text/plain' });
    const goneUrl = await h.storage.signedGetUrl(gone, 60);
    await h.storage.delete(gone);
    await expectProblem(await fetch(goneUrl), 404, 'STORAGE_NOT_FOUND');
  });

  it('tells a tampered signature from an expired one', async () => {
    await expectProblem(await fetch(tampered(url)), 403, 'STORAGE_URL_INVALID');
    h.clock.offsetMs = -60_000;
    const expired = await h.storage.signedGetUrl(key, 1);
    h.clock.offsetMs = 0;
    await expectProblem(await fetch(expired), 403, 'STORAGE_URL_EXPIRED');
  });

  it('does not accept a PUT signature for a GET, or a signature for another key', async () => {
    const upload = await h.storage.signedPutUrl(key, {
      contentType: 'text/plain',
      maxBytes: 1,
      ttlSeconds: 60,
    });
    await expectProblem(await fetch(upload.url), 403, 'STORAGE_URL_INVALID');
    const other = url.replace(key.split('/')[1]!, newBlobKey('routes').split('/')[1]!);
    await expectProblem(await fetch(other), 403, 'STORAGE_URL_INVALID');
  });

  describe('signed PUT', () => {
    const slot = async ({
      contentType = 'image/png',
      maxBytes = 1024,
      ttlSeconds = 60,
      prefix = 'put',
    } = {}) => {
      const target = newBlobKey(prefix);
      const signed = await h.storage.signedPutUrl(target, { contentType, maxBytes, ttlSeconds });
      return { target, ...signed };
    };

    it.each([
      ['image/png', randomBytes(1024)],
      ['application/json', Buffer.from('{"kept": "as sent"}')], // not parsed as JSON
      ['text/plain', Buffer.alloc(0)],
    ])('stores a %s body as sent and answers 201 with its size', async (contentType, body) => {
      const { target, url: putUrl, headers } = await slot({ contentType });
      const res = await fetch(putUrl, { method: 'PUT', headers, body });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ bytes: body.length });
      const stored = (await h.storage.get(target))!;
      expect([stored.bytes, stored.contentType]).toEqual([body.length, contentType]);
      expect(await buffer(stored.body)).toEqual(body);
    });

    it('answers 415 for another Content-Type, even a JSON one', async () => {
      const { target, url: putUrl } = await slot();
      for (const type of ['image/jpeg', 'application/json']) {
        const res = await fetch(putUrl, { method: 'PUT', headers: { 'content-type': type }, body: '{}' });
        await expectProblem(res, 415, 'STORAGE_UNSUPPORTED_MEDIA_TYPE');
      }
      expect(await h.storage.head(target)).toBeUndefined();
    });

    it('answers 413 for a body over the signed size, declared or streamed', async () => {
      const { target, url: putUrl, headers } = await slot({ maxBytes: 1000, prefix: 'put-too-large' });
      await expectProblem(
        await fetch(putUrl, { method: 'PUT', headers, body: randomBytes(1001) }),
        413,
        'STORAGE_TOO_LARGE',
      );
      // No Content-Length: the limit trips while streaming.
      const chunked = Readable.toWeb(Readable.from(Array.from({ length: 40 }, () => randomBytes(64 * 1024))));
      const res = await fetch(putUrl, { method: 'PUT', headers, body: chunked, duplex: 'half' });
      expect(res.headers.get('connection')).toBe('close'); // the rest of the body is not drained
      await expectProblem(res, 413, 'STORAGE_TOO_LARGE');
      expect(await h.storage.head(target)).toBeUndefined();
      expect(await h.leftovers('put-too-large')).toEqual([]);
    });

    it('answers 403 when the upload URL expired', async () => {
      h.clock.offsetMs = -60_000;
      const { url: putUrl, headers } = await slot({ ttlSeconds: 1 });
      h.clock.offsetMs = 0;
      await expectProblem(
        await fetch(putUrl, { method: 'PUT', headers, body: 'x' }),
        403,
        'STORAGE_URL_EXPIRED',
      );
    });
  });
});

describe('S3 adapter specifics', () => {
  let h: Awaited<ReturnType<typeof startS3>>;
  beforeAll(async () => {
    h = await startS3();
  });
  afterAll(() => h.close());

  it('presigns GET and PUT without x-amz-checksum-* parameters, binding the PUT Content-Type', async () => {
    const key = newBlobKey('presign');
    const get = new URL(await h.storage.signedGetUrl(key, 60));
    const put = new URL(
      (await h.storage.signedPutUrl(key, { contentType: 'image/png', maxBytes: 10, ttlSeconds: 60 })).url,
    );
    for (const url of [get, put]) {
      const names = [...url.searchParams.keys()].map((k) => k.toLowerCase());
      expect(
        names.filter((n) => n.startsWith('x-amz-checksum-') || n === 'x-amz-sdk-checksum-algorithm'),
      ).toEqual([]);
    }
    expect(put.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-type');
  });

  it('records the latency of each operation', async () => {
    const key = newBlobKey('metrics');
    h.operations.length = 0;
    await h.storage.put(key, Readable.from([Buffer.from('m')]), { contentType: 'text/plain' });
    await buffer((await h.storage.get(key))!.body);
    await h.storage.head(key);
    await h.storage.delete(key);
    await h.storage.ping();
    expect(h.operations).toEqual(['put', 'get', 'head', 'delete', 'ping']);
  });

  it('fails ping when the bucket does not exist', async () => {
    const storage = createS3Storage(
      loadConfig({
        S3_BUCKET: 'no-such-bucket',
        S3_ENDPOINT: h.endpoint,
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
      }).s3!,
    );
    await expect(storage.ping()).rejects.toThrow();
    await storage.close();
  });
});

describe('createBlobStorage', () => {
  it('picks S3 when S3_BUCKET is set, else DATA_DIR/files', async () => {
    const options = { signingSecret: SECRET };
    const local = createBlobStorage(loadConfig({ DATA_DIR: os.tmpdir() }), options);
    const s3 = createBlobStorage(
      loadConfig({ S3_BUCKET: 'lectern', S3_ENDPOINT: 'http://127.0.0.1:9' }),
      options,
    );
    expect([local.kind, s3.kind]).toEqual(['local', 's3']);
    expect(await local.signedGetUrl(newBlobKey('a'), 60)).toMatch(/^\/files\/a\/[0-9a-f-]{36}\?exp=\d+&sig=/);
    await Promise.all([local.close(), s3.close()]);
  });
});
