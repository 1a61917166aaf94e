import type { ExtractionReason } from './extraction-error.ts';

/** Messages between `pdf-extractor.ts` (main thread) and `pdf-extract.worker.ts`. */
export interface PdfLimits {
  maxPages: number;
  maxTextBytes: number;
}

export type PdfRequest =
  | { type: 'inspect'; bytes: Uint8Array<ArrayBuffer>; limits: PdfLimits }
  | { type: 'extract'; bytes: Uint8Array<ArrayBuffer>; limits: PdfLimits; from: number; to: number };

export interface PageText {
  page: number;
  text: string;
}

export type PdfFailure =
  | { type: 'failure'; reason: ExtractionReason; message: string }
  | { type: 'error'; name: string; message: string };

export type PdfResponse = { type: 'result'; value: { pageCount: number } | PageText[] } | PdfFailure;
