import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32, deflateSync } from 'node:zlib';
import type { BlobStorage } from '../../platform/storage/blob-storage.ts';
import { retryWhileBusy } from './seed-library.ts';
import { seedUuid } from './social-plan.ts';
import type { SocialSeedRepository } from './social-seed.repository.ts';

/** The social module's prefix for photo blobs (its deletion consumers find them through photo_uploads). */
const PHOTO_KEY_PREFIX = 'social-photo';
/** Share of posts with photos, and how many they carry (1 to MAX). */
const SHARE = 0.2;
const MAX_PHOTOS = 4;
const WIDTH = 48;
const HEIGHT = 36;
const POSTS_PER_BATCH = 100;

export interface SeedPhoto {
  key: string;
  postId: string;
  ord: number;
  png: Buffer;
}

/** The photos of a post, decided by its id alone (the plan's random sequence stays as it was). */
export function photosOf(postId: string): SeedPhoto[] {
  const hash = createHash('sha1').update(`lectern-seed:photos:${postId}`).digest();
  if (hash[0]! / 256 >= SHARE) return [];
  return Array.from({ length: 1 + (hash[1]! % MAX_PHOTOS) }, (_, ord) => ({
    key: `${PHOTO_KEY_PREFIX}/${seedUuid(`photo:${postId}:${ord}`)}`,
    postId,
    ord,
    png: gradientPng([hash[2 + ord * 3]!, hash[3 + ord * 3]!, hash[4 + ord * 3]!]),
  }));
}

/** A small RGB PNG fading from `rgb` to white: a few hundred bytes any image viewer (and file-type) accepts. */
export function gradientPng(rgb: [number, number, number]): Buffer {
  const rows = Array.from({ length: HEIGHT }, (_, y) => {
    const row = Buffer.alloc(1 + WIDTH * 3); // filter byte 0, then pixels
    for (let x = 0; x < WIDTH; x++) {
      const t = (x + y) / (WIDTH + HEIGHT);
      for (let c = 0; c < 3; c++) row[1 + x * 3 + c] = Math.round(rgb[c]! + (255 - rgb[c]!) * t);
    }
    return row;
  });
  const header = Buffer.alloc(13);
  header.writeUInt32BE(WIDTH, 0);
  header.writeUInt32BE(HEIGHT, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit truecolour, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * Stores the photos of the seeded posts that have none yet: blobs first (through the storage port, so local
 * storage and S3 both work), then their upload slots (already taken by the post) and `post_photos` rows. A run
 * stopped in between rewrites the same bytes under the same keys next time.
 */
export async function seedPhotos(
  repository: SocialSeedRepository,
  storage: Pick<BlobStorage, 'put'>,
  postIds: string[],
  onProgress: (done: number, total: number) => void,
): Promise<{ planned: number; created: number }> {
  const counts = postIds.map((id) => ({ id, photos: photosOf(id).length }));
  const withPhotos = counts.filter((c) => c.photos > 0).map((c) => c.id);
  let created = 0;
  for (let i = 0; i < withPhotos.length; i += POSTS_PER_BATCH) {
    const batch = withPhotos.slice(i, i + POSTS_PER_BATCH);
    const posts = await retryWhileBusy(() => repository.postsWithoutPhotos(batch));
    const photos = posts.flatMap((post) =>
      photosOf(post.id).map((photo) => ({ ...photo, ownerId: post.authorId })),
    );
    await Promise.all(
      photos.map((p) => storage.put(p.key, Readable.from([p.png]), { contentType: 'image/png' })),
    );
    if (photos.length > 0) await retryWhileBusy(() => repository.insertPhotos(photos));
    created += photos.length;
    onProgress(Math.min(i + POSTS_PER_BATCH, withPhotos.length), withPhotos.length);
  }
  return { planned: counts.reduce((n, c) => n + c.photos, 0), created };
}
