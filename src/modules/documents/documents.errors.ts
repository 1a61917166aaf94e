import { AppError, defineErrors } from '../../platform/errors.ts';

export const DOCUMENT_ERRORS = defineErrors({
  DOCUMENT_NOT_FOUND: {
    status: 404,
    when: 'No document (or story) with this id belongs to you; another user’s documents answer the same.',
  },
  DOCUMENT_FILE_MISSING: {
    status: 400,
    when: 'The multipart upload has no `file` part (or more than one).',
  },
  DOCUMENT_NOT_MULTIPART: { status: 415, when: 'Uploads must be `multipart/form-data` with a `file` part.' },
  DOCUMENT_UNSUPPORTED_TYPE: {
    status: 415,
    when: 'The file’s bytes are not PDF, plain text, Markdown or HTML (the type is read from the bytes).',
  },
  DOCUMENT_TYPE_MISMATCH: {
    status: 415,
    when: 'The bytes contradict the declared type or file extension (e.g. PNG bytes named `.pdf`).',
  },
  DOCUMENT_TOO_LARGE: { status: 413, when: 'The file is larger than MAX_UPLOAD_BYTES; nothing was stored.' },
  DOCUMENT_QUOTA_EXCEEDED: {
    status: 413,
    when: 'The file would take you past your storage quota (USER_STORAGE_BYTES); nothing was stored.',
  },
  DOCUMENT_EMPTY: { status: 422, when: 'The file or story text is empty.' },
  DOCUMENT_INVALID_FIELD: {
    status: 400,
    when: 'A multipart field is unknown, repeated, too long, or not valid (title, tags, kind).',
  },
  DOCUMENT_NOT_READY: {
    status: 409,
    when: 'The document has no summary yet (it is still processing, or failed); see its status.',
  },
  DOCUMENT_BUSY: {
    status: 409,
    when: 'The document is being processed; reprocess it once it is `ready` or `failed`.',
  },
});

export const documentNotFound = () =>
  new AppError('DOCUMENT_NOT_FOUND', 404, 'No document with this id was found.');
