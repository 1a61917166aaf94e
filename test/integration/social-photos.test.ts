import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { sql } from 'kysely';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser, statementsOf } from '../harness/library.ts';
import { call, connect, createTag, ok, setTags, settleFeeds, type User } from '../harness/social.ts';
import { freePort } from '../harness/servers.ts';
import { createTestApp, type TestApp } from '../harness/test-app.ts';

// Photos: presigned upload slots, each object checked when a post takes it (size by HEAD, type from its bytes),
// rejected objects deleted, clean 4xx answers; reads carry signed GET URLs made in one batch per page, and only
// viewers of the post ever get one.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(200, 7),
]);
const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(100, 1)]);
const MAX_BYTES = 50_000;

interface Slot {
  key: string;
  url: string;
  headers: Record<string, string>;
  maxBytes: number;
  expiresAt: string;
}
interface PostView {
  id: string;
  photos: { ord: number; url: string }[];
}

let t: TestApp;
let author: User;
let tagged: User;
let untagged: User;
let stranger: User;
let blocked: User;
let closeTag: string;

beforeAll(async () => {
  t = await createTestApp({
    RATE_LIMIT: 'off',
    OUTBOX_POLL_MS: '20',
    SOCIAL_PHOTO_MAX_BYTES: String(MAX_BYTES),
  });
  await t.deps.startBackground({ workers: true });
  [author, tagged, untagged, stranger, blocked] = (await Promise.all(
    Array.from({ length: 5 }, () => registerUser(t)),
  )) as [User, User, User, User, User];
  for (const peer of [tagged, untagged, blocked]) await connect(t, author!, peer);
  closeTag = await createTag(t, author!, 'close');
  for (const peer of [tagged, blocked]) await setTags(t, author!, peer, [closeTag]);
});
afterAll(() => t.close());

async function slots(user: User, photos: { contentType: string; size: number }[]): Promise<Slot[]> {
  return (await ok<{ items: Slot[] }>(call(t, user, 'POST', '/api/v1/posts/photo-uploads', { photos }), 201))
    .items;
}

/** PUTs the bytes to the slot's signed URL the way a client would (local storage: Lectern's /files route). */
function upload(slot: Slot, bytes: Buffer) {
  return t.app.inject({ method: 'PUT', url: slot.url, headers: slot.headers, payload: bytes });
}

async function uploaded(user: User, contentType: string, bytes: Buffer): Promise<string> {
  const [slot] = await slots(user, [{ contentType, size: bytes.length }]);
  expect((await upload(slot!, bytes)).statusCode).toBe(201);
  return slot!.key;
}

function createPost(user: User, photos: string[], audience = ['all']) {
  return call(t, user, 'POST', '/api/v1/posts', { body: 'with photos', audience, photos });
}

async function expectProblem(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
) {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  expect(JSON.parse(res.body)).toMatchObject({ status, code });
}

const stored = (key: string) => t.deps.storage.head(key);
const postCount = async () =>
  (await sql<{ n: number }>`select count(*)::int as n from posts`.execute(t.deps.database.db)).rows[0]!.n;

async function fetchBytes(url: string): Promise<Buffer> {
  const res = await t.app.inject({ method: 'GET', url });
  expect(res.statusCode).toBe(200);
  return res.rawPayload;
}

describe('upload slots', () => {
  it('gives one presigned PUT per photo, bound to its content type and size, under a server key', async () => {
    const issued = await slots(author, [
      { contentType: 'image/png', size: PNG.length },
      { contentType: 'image/jpeg', size: 1000 },
    ]);
    expect(issued).toHaveLength(2);
    for (const slot of issued) expect(slot.key).toMatch(/^social-photo\/[0-9a-f-]{36}$/);
    expect(issued.map((s) => [s.headers['content-type'], s.maxBytes])).toEqual([
      ['image/png', PNG.length],
      ['image/jpeg', 1000],
    ]);
    // The URL takes only its type and size.
    await expectProblem(
      await t.app.inject({
        method: 'PUT',
        url: issued[0]!.url,
        headers: { 'content-type': 'image/gif' },
        payload: GIF,
      }),
      415,
      'STORAGE_UNSUPPORTED_MEDIA_TYPE',
    );
    await expectProblem(await upload(issued[1]!, Buffer.alloc(1001)), 413, 'STORAGE_TOO_LARGE');
  });

  it.each([
    [{ photos: [{ contentType: 'image/tiff', size: 10 }] }, 400],
    [{ photos: [] }, 400],
    [{ photos: Array.from({ length: 11 }, () => ({ contentType: 'image/png', size: 10 })) }, 400],
    [{ photos: [{ contentType: 'image/png', size: 0 }] }, 400],
    [{ photos: [{ contentType: 'image/png', size: 10, name: 'x.png' }] }, 400],
  ])('refuses the slot request %j with %i', async (body, status) => {
    const res = await call(t, author, 'POST', '/api/v1/posts/photo-uploads', body);
    expect(res.statusCode, res.body).toBe(status);
  });

  it('refuses a photo declared larger than SOCIAL_PHOTO_MAX_BYTES with 413', async () => {
    await expectProblem(
      await call(t, author, 'POST', '/api/v1/posts/photo-uploads', {
        photos: [{ contentType: 'image/png', size: MAX_BYTES + 1 }],
      }),
      413,
      'SOCIAL_PHOTO_TOO_LARGE',
    );
  });
});

describe('a post taking its photos', () => {
  it('stores accepted photos in order; GET post and the feed answer signed URLs that fetch the bytes', async () => {
    const keys = [await uploaded(author, 'image/png', PNG), await uploaded(author, 'image/jpeg', JPEG)];
    const created = await ok<PostView>(createPost(author, keys, [closeTag]), 201);
    expect(created.photos.map((p) => p.ord)).toEqual([0, 1]);
    await settleFeeds(t);

    const read = await ok<PostView>(call(t, tagged, 'GET', `/api/v1/posts/${created.id}`));
    expect(read.photos.map((p) => p.ord)).toEqual([0, 1]);
    for (const photo of read.photos) {
      expect(photo.url).toMatch(/^\/files\/social-photo\/[0-9a-f-]{36}\?exp=\d+&sig=/);
    }
    expect(await fetchBytes(read.photos[0]!.url)).toEqual(PNG);
    expect(await fetchBytes(read.photos[1]!.url)).toEqual(JPEG);

    const digest = await ok<{ topPosts: PostView[] }>(call(t, tagged, 'GET', '/api/v1/digest'));
    const top = digest.topPosts.find((p) => p.id === created.id)!;
    expect(await fetchBytes(top.photos[1]!.url)).toEqual(JPEG);

    const feed = await ok<{ items: PostView[] }>(call(t, tagged, 'GET', '/api/v1/feed'));
    const item = feed.items.find((i) => i.id === created.id)!;
    expect(await fetchBytes(item.photos[0]!.url)).toEqual(PNG);
    expect(await fetchBytes(item.photos[1]!.url)).toEqual(JPEG);
    // A signed URL alone is the credential; altered, it is refused.
    const altered = item.photos[0]!.url.replace(/sig=./, (m) => (m.endsWith('A') ? 'sig=B' : 'sig=A'));
    expect((await t.app.inject({ method: 'GET', url: altered })).statusCode).toBe(403);
  });

  it('answers 415 for bytes that are not the declared type, and deletes the object', async () => {
    for (const [declared, bytes] of [
      ['image/png', GIF],
      ['image/jpeg', Buffer.from('just some text, not a photo at all')],
      ['image/webp', PNG],
    ] as const) {
      const key = await uploaded(author, declared, bytes);
      const before = await postCount();
      await expectProblem(await createPost(author, [key]), 415, 'SOCIAL_PHOTO_UNSUPPORTED_TYPE');
      expect(await stored(key)).toBeUndefined();
      expect(await postCount()).toBe(before);
      // The slot went with its object.
      await expectProblem(await createPost(author, [key]), 404, 'SOCIAL_PHOTO_NOT_FOUND');
    }
  });

  it('answers 413 for an object larger than its slot (a store that cannot bind the size), and deletes it', async () => {
    const [slot] = await slots(author, [{ contentType: 'image/png', size: PNG.length }]);
    // S3 presigned PUTs carry no size limit: the object can be bigger than declared.
    await t.deps.storage.put(slot!.key, Readable.from([Buffer.concat([PNG, Buffer.alloc(500)])]), {
      contentType: 'image/png',
    });
    await expectProblem(await createPost(author, [slot!.key]), 413, 'SOCIAL_PHOTO_TOO_LARGE');
    expect(await stored(slot!.key)).toBeUndefined();
  });

  it("answers 404 for someone else's key and leaves their object alone", async () => {
    const theirs = await uploaded(stranger, 'image/png', PNG);
    await expectProblem(await createPost(author, [theirs]), 404, 'SOCIAL_PHOTO_NOT_FOUND');
    expect(await stored(theirs)).toMatchObject({ bytes: PNG.length });
    await ok(createPost(stranger, [theirs]), 201);
  });

  it('answers 422 while nothing is uploaded, and takes the photo once it is', async () => {
    const [slot] = await slots(author, [{ contentType: 'image/gif', size: GIF.length }]);
    await expectProblem(await createPost(author, [slot!.key]), 422, 'SOCIAL_PHOTO_NOT_UPLOADED');
    expect((await upload(slot!, GIF)).statusCode).toBe(201);
    const created = await ok<PostView>(createPost(author, [slot!.key]), 201);
    expect(await fetchBytes(created.photos[0]!.url)).toEqual(GIF);
  });

  it('answers 409 for a photo another post took, and 422 for the same key twice', async () => {
    const key = await uploaded(author, 'image/png', PNG);
    await ok(createPost(author, [key]), 201);
    await expectProblem(await createPost(author, [key]), 409, 'SOCIAL_PHOTO_IN_USE');
    const other = await uploaded(author, 'image/png', PNG);
    await expectProblem(await createPost(author, [other, other]), 422, 'SOCIAL_PHOTO_DUPLICATE');
    expect(await stored(other)).toBeDefined();
  });

  it('refuses a key the server did not issue, or more than 10 photos, with 400', async () => {
    expect((await createPost(author, ['../etc/passwd'])).statusCode).toBe(400);
    const eleven = Array.from({ length: 11 }, () => `social-photo/${crypto.randomUUID()}`);
    expect((await createPost(author, eleven)).statusCode).toBe(400);
  });
});

describe('signed URLs on a page', () => {
  it('signs one feed page in one batch and keeps the feed at 4 statements', async () => {
    const reader = await registerUser(t);
    const poster = await registerUser(t);
    await connect(t, poster, reader);
    // Photos attached in SQL, so no URL of theirs was signed (and cached) when the posts were created.
    for (let i = 0; i < 4; i++) {
      const { id } = await ok<PostView>(createPost(poster, []), 201);
      const keys = [await uploaded(poster, 'image/png', PNG), await uploaded(poster, 'image/gif', GIF)];
      await t.deps.database.db
        .insertInto('post_photos')
        .values(keys.map((key, ord) => ({ post_id: id, blob_key: key, ord })))
        .execute();
    }
    await settleFeeds(t);
    const storage = t.deps.storage;
    const sign = storage.signedGetUrls.bind(storage);
    const batches: number[] = [];
    storage.signedGetUrls = (keys, ttl) => {
      batches.push(keys.length);
      return sign(keys, ttl);
    };
    try {
      const res = await call(t, reader, 'GET', '/api/v1/feed?limit=3');
      expect(res.statusCode).toBe(200);
      expect(statementsOf(res)).toBe(4);
      expect(batches).toEqual([6]);
      const page = res.json<{ items: PostView[]; nextCursor: string }>();
      expect(page.items.flatMap((i) => i.photos)).toHaveLength(6);
      const next = await call(t, reader, 'GET', `/api/v1/feed?limit=3&cursor=${page.nextCursor}`);
      expect(statementsOf(next)).toBe(4);
      expect(batches).toEqual([6, 2]);
      // Signed URLs are reused for part of their lifetime: the same page again signs nothing.
      await call(t, reader, 'GET', '/api/v1/feed?limit=3');
      expect(batches).toEqual([6, 2]);
    } finally {
      storage.signedGetUrls = sign;
    }
  });
});

describe('photo URLs and the audience', () => {
  type Viewer = 'author' | 'tagged' | 'untagged' | 'stranger' | 'blocked' | 'anonymous';
  const photoUrlsExpected: Record<Viewer, boolean> = {
    author: true,
    tagged: true,
    untagged: false,
    stranger: false,
    blocked: false,
    anonymous: false,
  };
  let restricted: string;
  let key: string;

  beforeAll(async () => {
    key = await uploaded(author, 'image/png', PNG);
    restricted = (await ok<PostView>(createPost(author, [key], [closeTag]), 201)).id;
    await settleFeeds(t);
    await ok(call(t, author, 'POST', '/api/v1/blocks', { userId: blocked.id }), 204);
    await settleFeeds(t);
  });

  it.each(Object.keys(photoUrlsExpected) as Viewer[])(
    '%s gets a photo URL only inside the audience',
    async (viewer) => {
      const user = { author, tagged, untagged, stranger, blocked, anonymous: undefined }[viewer];
      const responses = [
        await call(t, user, 'GET', `/api/v1/posts/${restricted}`),
        await call(t, user, 'GET', '/api/v1/feed?limit=100'),
        await call(t, user, 'GET', '/api/v1/digest'),
      ];
      const id = key.split('/')[1]!;
      const leaked = responses.some((res) => res.body.includes(id));
      expect(leaked).toBe(photoUrlsExpected[viewer]);
      if (photoUrlsExpected[viewer]) {
        const post = responses[0]!.json<PostView>();
        expect(await fetchBytes(post.photos[0]!.url)).toEqual(PNG);
      } else {
        expect(responses[0]!.statusCode).toBe(user ? 404 : 401);
      }
    },
  );
});

describe('photo blobs follow their post and their owner', () => {
  it('deletes the blobs of a deleted post, and every photo blob of a deleted user, through the outbox', async () => {
    const keys = [await uploaded(author, 'image/png', PNG), await uploaded(author, 'image/jpeg', JPEG)];
    const { id } = await ok<PostView>(createPost(author, keys), 201);
    await ok(call(t, author, 'DELETE', `/api/v1/posts/${id}`), 204);
    await settleFeeds(t);
    for (const key of keys) expect(await stored(key)).toBeUndefined();

    const leaving = await registerUser(t);
    const posted = await uploaded(leaving, 'image/png', PNG);
    await ok(createPost(leaving, [posted]), 201);
    const pending = await uploaded(leaving, 'image/gif', GIF);
    await ok(call(t, leaving, 'DELETE', '/api/v1/me'), 204);
    await settleFeeds(t);
    expect(await stored(posted)).toBeUndefined();
    expect(await stored(pending)).toBeUndefined();
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from photo_uploads where owner_id = ${leaving.id}`.execute(
      t.deps.database.db,
    );
    expect(rows[0]!.n).toBe(0);
  });
});

describe('an expired slot', () => {
  let short: TestApp;
  beforeAll(async () => {
    short = await createTestApp({ RATE_LIMIT: 'off', SOCIAL_PHOTO_SLOT_TTL_SECONDS: '0' });
  });
  afterAll(() => short.close());

  it('refuses the upload (403) and the post (410), and deletes what was uploaded in time', async () => {
    const user = await registerUser(short);
    const request = (photos: unknown) =>
      ok<{ items: Slot[] }>(call(short, user, 'POST', '/api/v1/posts/photo-uploads', { photos }), 201);
    const [late, early] = (
      await request([
        { contentType: 'image/png', size: PNG.length },
        { contentType: 'image/png', size: PNG.length },
      ])
    ).items;
    // Issued with no lifetime: the slot is over at once, the URL once its second is.
    await short.deps.storage.put(early!.key, Readable.from([PNG]), { contentType: 'image/png' });
    const expiry = Number(new URL(late!.url, 'http://x').searchParams.get('exp'));
    while (Math.floor(Date.now() / 1000) <= expiry) await new Promise((r) => setTimeout(r, 50));
    const put = await short.app.inject({
      method: 'PUT',
      url: late!.url,
      headers: late!.headers,
      payload: PNG,
    });
    await expectProblem(put, 403, 'STORAGE_URL_EXPIRED');
    const post = (photos: string[]) =>
      call(short, user, 'POST', '/api/v1/posts', { body: 'late', audience: ['all'], photos });
    await expectProblem(await post([late!.key]), 410, 'SOCIAL_PHOTO_SLOT_EXPIRED');
    await expectProblem(await post([early!.key]), 410, 'SOCIAL_PHOTO_SLOT_EXPIRED');
    expect(await short.deps.storage.head(early!.key)).toBeUndefined();
  });

  it('is pruned with its object by the daily maintenance when no post took it', async () => {
    const user = await registerUser(short);
    const [unused] = (
      await ok<{ items: Slot[] }>(
        call(short, user, 'POST', '/api/v1/posts/photo-uploads', {
          photos: [{ contentType: 'image/png', size: PNG.length }],
        }),
        201,
      )
    ).items;
    await short.deps.storage.put(unused!.key, Readable.from([PNG]), { contentType: 'image/png' });
    expect(await short.deps.social.photos.pruneExpiredSlots()).toBe(1);
    expect(await short.deps.storage.head(unused!.key)).toBeUndefined();
    expect(await short.deps.social.photos.pruneExpiredSlots()).toBe(0);
  });
});

describe('with S3 storage (s3rver)', () => {
  // s3rver ships no types; this is the part of it used here.
  const S3rver = createRequire(import.meta.url)('s3rver') as new (options: {
    address: string;
    port: number;
    directory: string;
    silent: boolean;
  }) => { run(): Promise<unknown>; close(): Promise<void> };
  let s3: TestApp;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lectern-photos-s3-'));
    const port = await freePort();
    const server = new S3rver({ address: '127.0.0.1', port, directory: dir, silent: true });
    await server.run();
    const endpoint = `http://127.0.0.1:${port}`;
    const admin = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await admin.send(new CreateBucketCommand({ Bucket: 'lectern-photos' }));
    admin.destroy();
    s3 = await createTestApp({
      RATE_LIMIT: 'off',
      S3_BUCKET: 'lectern-photos',
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    close = async () => {
      await s3.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    };
  });
  afterAll(() => close());

  it('uploads through presigned PUTs, checks each object, and reads through presigned GETs', async () => {
    expect(s3.deps.storage.kind).toBe('s3');
    const user = await registerUser(s3);
    const issued = (
      await ok<{ items: Slot[] }>(
        call(s3, user, 'POST', '/api/v1/posts/photo-uploads', {
          photos: [
            { contentType: 'image/png', size: PNG.length },
            { contentType: 'image/png', size: PNG.length },
            { contentType: 'image/jpeg', size: JPEG.length },
          ],
        }),
        201,
      )
    ).items;
    const [good, oversize, mislabelled] = issued as [Slot, Slot, Slot];
    // A presigned S3 PUT binds the type but not the size: the post's HEAD check is what refuses it.
    for (const [slot, bytes] of [
      [good, PNG],
      [oversize, Buffer.concat([PNG, Buffer.alloc(100)])],
      [mislabelled, GIF],
    ] as const) {
      const res = await fetch(slot.url, { method: 'PUT', headers: slot.headers, body: bytes });
      expect(res.ok).toBe(true);
    }
    const create = (photos: string[]) =>
      call(s3, user, 'POST', '/api/v1/posts', { body: 'on S3', audience: ['all'], photos });
    await expectProblem(await create([oversize.key]), 413, 'SOCIAL_PHOTO_TOO_LARGE');
    await expectProblem(await create([mislabelled.key]), 415, 'SOCIAL_PHOTO_UNSUPPORTED_TYPE');
    expect(await s3.deps.storage.head(oversize.key)).toBeUndefined();
    expect(await s3.deps.storage.head(mislabelled.key)).toBeUndefined();

    const created = await ok<PostView>(create([good.key]), 201);
    const read = await ok<PostView>(call(s3, user, 'GET', `/api/v1/posts/${created.id}`));
    expect(read.photos[0]!.url).toMatch(/X-Amz-Signature=/);
    const res = await fetch(read.photos[0]!.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
  });
});
