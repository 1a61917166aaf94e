export type ExtractionReason =
  'encrypted' | 'corrupt' | 'too_many_pages' | 'no_text' | 'too_large' | 'timeout' | 'unsupported';

/** A document that cannot be turned into text. `message` is written for the uploader. */
export class ExtractionError extends Error {
  override name = 'ExtractionError';
  readonly reason: ExtractionReason;
  /** Retrying the same bytes cannot help; only a timeout may pass on a quieter machine. */
  readonly permanent: boolean;

  constructor(reason: ExtractionReason, message: string) {
    super(message);
    this.reason = reason;
    this.permanent = reason !== 'timeout';
  }
}

const count = (n: number) => n.toLocaleString('en-US');
const size = (bytes: number) =>
  bytes >= 1024 * 1024
    ? `${count(Math.ceil(bytes / 1024 / 1024))} MB`
    : `${count(Math.ceil(bytes / 1024))} KB`;

/** Every user-facing extraction message, in one place. */
export const extractionFailure = {
  encrypted: () =>
    new ExtractionError('encrypted', 'PDF is encrypted (password protected); upload an unprotected copy'),
  corrupt: () =>
    new ExtractionError(
      'corrupt',
      'PDF is damaged or incomplete and cannot be read; export or download it again and re-upload',
    ),
  unsupported: () => new ExtractionError('unsupported', 'File is not a PDF (no %PDF header)'),
  tooManyPages: (pages: number, maxPages: number) =>
    new ExtractionError(
      'too_many_pages',
      `PDF has ${count(pages)} pages, which exceeds ${count(maxPages)} pages; split it into smaller files`,
    ),
  tooLarge: (maxTextBytes: number) =>
    new ExtractionError('too_large', `PDF text exceeds ${size(maxTextBytes)}; split it into smaller files`),
  noText: () =>
    new ExtractionError(
      'no_text',
      'PDF has no text layer (scanned images?); run OCR on it and upload the result',
    ),
  timeout: (timeoutMs: number) =>
    new ExtractionError(
      'timeout',
      `Reading the PDF took longer than ${count(Math.ceil(timeoutMs / 1000))} s; it will be retried`,
    ),
};
