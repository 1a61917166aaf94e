import { fileTypeFromBuffer } from 'file-type';

export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];

/** Bytes a photo's type is decided from: enough for file-type's image signatures. */
export const PHOTO_SNIFF_BYTES = 4096;

/** The image type the bytes carry (never the declared one), or undefined when they are no photo we take. */
export async function sniffPhotoType(head: Uint8Array): Promise<PhotoType | undefined> {
  const mime = (await fileTypeFromBuffer(head))?.mime;
  return PHOTO_TYPES.find((type) => type === mime);
}
