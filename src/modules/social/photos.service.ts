import { buffer } from 'node:stream/consumers';
import { AppError } from '../../platform/errors.ts';
import { newBlobKey, type BlobStorage } from '../../platform/storage/blob-storage.ts';
import type { Actor } from '../users/index.ts';
import { PHOTO_SNIFF_BYTES, sniffPhotoType, type PhotoType } from './photo-type.ts';
import type { PhotoSlotRow, PhotosRepository } from './photos.repository.ts';

export const PHOTO_KEY_PREFIX = 'social-photo';
/** Blobs deleted per statement when a post or a user goes. */
const DELETE_BATCH = 100;

export interface PhotoSlot {
  key: string;
  url: string;
  headers: Record<string, string>;
  maxBytes: number;
  expiresAt: Date;
}

const tooLarge = (maxBytes: number) =>
  new AppError('SOCIAL_PHOTO_TOO_LARGE', 413, `A photo may have at most ${maxBytes} bytes.`, {
    extensions: { maxBytes },
  });

/**
 * Photos go straight to storage through presigned upload slots; a post takes them only after each object is
 * checked (size by HEAD, type by sniffing its first bytes). Rejected objects are deleted at once.
 */
export function createPhotosService(deps: {
  photos: PhotosRepository;
  storage: Pick<BlobStorage, 'head' | 'get' | 'delete' | 'signedPutUrl'>;
  settings: { slotTtlSeconds: number; maxBytes: number };
  now?: () => number;
}) {
  const { photos, storage, settings } = deps;
  const now = deps.now ?? Date.now;

  /** Why the slot's object may not join a post, or undefined when it may. Expired and bad objects are deleted. */
  async function rejection(slot: PhotoSlotRow): Promise<AppError | undefined> {
    if (slot.expires_at.getTime() <= now()) {
      return new AppError(
        'SOCIAL_PHOTO_SLOT_EXPIRED',
        410,
        'The photo upload slot expired; ask for a new one.',
      );
    }
    const head = await storage.head(slot.blob_key);
    if (!head) {
      return new AppError(
        'SOCIAL_PHOTO_NOT_UPLOADED',
        422,
        'A photo was not uploaded to its slot yet; PUT it to the slot URL first.',
      );
    }
    if (head.bytes > slot.max_bytes) return tooLarge(slot.max_bytes);
    const first = await storage.get(slot.blob_key, { start: 0, end: PHOTO_SNIFF_BYTES - 1 });
    const type = first && (await sniffPhotoType(await buffer(first.body)));
    if (type !== slot.content_type) {
      return new AppError(
        'SOCIAL_PHOTO_UNSUPPORTED_TYPE',
        415,
        `A photo's bytes are ${type ?? 'not a JPEG, PNG, WebP or GIF image'}, not the ${slot.content_type} declared.`,
      );
    }
    return undefined;
  }

  const isDeleted = (error: AppError) => error.code !== 'SOCIAL_PHOTO_NOT_UPLOADED';

  return {
    /** One presigned PUT per photo, bound to its content type and size, under a key the server chose. */
    async createSlots(
      actor: Actor,
      requested: { contentType: PhotoType; size: number }[],
    ): Promise<PhotoSlot[]> {
      const oversize = requested.find((p) => p.size > settings.maxBytes);
      if (oversize) throw tooLarge(settings.maxBytes);
      const expiresAt = new Date(now() + settings.slotTtlSeconds * 1000);
      const slots = await Promise.all(
        requested.map(async ({ contentType, size }) => {
          const key = newBlobKey(PHOTO_KEY_PREFIX);
          const signed = await storage.signedPutUrl(key, {
            contentType,
            maxBytes: size,
            ttlSeconds: settings.slotTtlSeconds,
          });
          return { key, ...signed, contentType, maxBytes: size, expiresAt };
        }),
      );
      await photos.insertSlots(
        slots.map((s) => ({
          blobKey: s.key,
          ownerId: actor.id,
          contentType: s.contentType,
          maxBytes: s.maxBytes,
          expiresAt,
        })),
      );
      return slots.map(({ key, url, headers, maxBytes }) => ({ key, url, headers, maxBytes, expiresAt }));
    },

    /**
     * Checks the photos a new post names, before its transaction: each must be the actor's own free slot with an
     * object of the declared type and size. The first problem is thrown after every rejected object is deleted.
     */
    async verify(actor: Actor, keys: string[]): Promise<void> {
      if (keys.length === 0) return;
      if (new Set(keys).size !== keys.length) {
        throw new AppError('SOCIAL_PHOTO_DUPLICATE', 422, 'A post names the same photo twice.');
      }
      const slots = await photos.findSlots(keys);
      const own = new Map(slots.filter((s) => s.owner_id === actor.id).map((s) => [s.blob_key, s]));
      if (own.size !== keys.length) {
        throw new AppError('SOCIAL_PHOTO_NOT_FOUND', 404, 'A photo key is not one of your upload slots.');
      }
      if (slots.some((s) => s.post_id !== null)) {
        throw new AppError('SOCIAL_PHOTO_IN_USE', 409, 'A photo already belongs to a post.');
      }
      const checked = await Promise.all(slots.map(async (slot) => ({ slot, error: await rejection(slot) })));
      const rejected = checked.filter((c) => c.error && isDeleted(c.error)).map((c) => c.slot.blob_key);
      await Promise.all(rejected.map((key) => storage.delete(key)));
      await photos.deleteSlots(rejected);
      const error = checked.find((c) => c.error)?.error;
      if (error) throw error;
    },

    /** In the post's transaction: the checked slots become the post's photos, or the post fails (409). */
    async attach(actor: Actor, postId: string, keys: string[]): Promise<void> {
      if (keys.length === 0) return;
      const taken = await photos.attach(postId, actor.id, keys, new Date(now()));
      if (taken !== keys.length) {
        throw new AppError('SOCIAL_PHOTO_IN_USE', 409, 'A photo was taken by another post meanwhile.');
      }
    },

    /** Deletes slots that expired unused, and whatever was uploaded to them; the number deleted. */
    async pruneExpiredSlots(): Promise<number> {
      let pruned = 0;
      for (;;) {
        const keys = await photos.expiredUnused(new Date(now()), DELETE_BATCH);
        await Promise.all(keys.map((key) => storage.delete(key)));
        await photos.deleteSlots(keys);
        pruned += keys.length;
        if (keys.length < DELETE_BATCH) return pruned;
      }
    },

    /** Deletes the blobs (then their slot rows) of a deleted post or user; idempotent, for outbox consumers. */
    async deleteBlobsOf(by: { postId: string } | { ownerId: string }): Promise<void> {
      for (;;) {
        const keys = await photos.keysOf(by, DELETE_BATCH);
        await Promise.all(keys.map((key) => storage.delete(key)));
        await photos.deleteSlots(keys);
        if (keys.length < DELETE_BATCH) return;
      }
    },
  };
}

export type PhotosService = ReturnType<typeof createPhotosService>;
