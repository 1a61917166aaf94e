import { AppError, defineErrors } from '../errors.ts';

/** Codes the blob-storage port and the signed /files routes answer with. */
export const STORAGE_ERRORS = defineErrors({
  STORAGE_INVALID_KEY: {
    status: 400,
    when: 'A file key is not one Lectern issued (`<prefix>/<uuid>`); nothing was read or written.',
  },
  STORAGE_NOT_FOUND: { status: 404, when: 'No file is stored under this signed URL.' },
  STORAGE_TOO_LARGE: {
    status: 413,
    when: 'The upload is larger than its limit (the quota, or the size a signed upload URL allows).',
  },
  STORAGE_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    when: 'A signed upload was sent with a Content-Type other than the one the URL was issued for.',
  },
  STORAGE_RANGE_NOT_SATISFIABLE: {
    status: 416,
    when: 'The `Range` selects no bytes (starts past the end, or `bytes=-0`); `Content-Range` gives the size.',
  },
  STORAGE_URL_INVALID: {
    status: 403,
    when: 'A signed file URL was altered, or signed with another key.',
  },
  STORAGE_URL_EXPIRED: { status: 403, when: 'A signed file URL is past its expiry; ask for a new one.' },
});

export function tooLarge(maxBytes: number): AppError {
  return new AppError('STORAGE_TOO_LARGE', 413, `The file is larger than the ${maxBytes} bytes allowed.`, {
    extensions: { maxBytes },
  });
}

export function rangeNotSatisfiable(totalBytes?: number): AppError {
  return new AppError(
    'STORAGE_RANGE_NOT_SATISFIABLE',
    416,
    'The requested range selects no bytes of the file.',
    {
      headers: totalBytes === undefined ? {} : { 'content-range': `bytes */${totalBytes}` },
    },
  );
}
