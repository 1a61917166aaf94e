import { createSerialWorker } from '../../../platform/worker-threads/serial-worker.ts';
import { ExtractionError, extractionFailure } from './extraction-error.ts';
import type { PageText, PdfFailure, PdfLimits, PdfRequest, PdfResponse } from './pdf-worker-protocol.ts';

export type { PageText } from './pdf-worker-protocol.ts';

export interface PdfExtractorOptions {
  /** `inspect` and `extractPages` refuse PDFs with more pages (default 2,000). */
  maxPages?: number;
  /** Cap on the UTF-8 size of the text one `extractPages` call returns (default 32 MiB). */
  maxTextBytes?: number;
  /** Wall time one call may take in the worker, start-up and queueing excluded (default 60 s). */
  timeoutMs?: number;
}

export interface PdfExtractor {
  inspect(bytes: Uint8Array): Promise<{ pageCount: number }>;
  /** Text of pages `from`..`to` (1-based, inclusive), normalised; one entry per page, in order. */
  extractPages(bytes: Uint8Array, range: { from: number; to: number }): Promise<PageText[]>;
  close(): Promise<void>;
}

function toError(response: PdfFailure): Error {
  if (response.type === 'failure') return new ExtractionError(response.reason, response.message);
  const error = new Error(response.message);
  error.name = response.name;
  return error;
}

/**
 * PDF text extraction on one long-lived worker thread. Calls run one at a time in arrival order; run
 * several extractors for parallelism. A call that times out or crashes the worker terminates it, and
 * the next call starts a fresh one. The caller's bytes are copied, never detached.
 */
export function createPdfExtractor(options: PdfExtractorOptions = {}): PdfExtractor {
  const limits: PdfLimits = {
    maxPages: options.maxPages ?? 2000,
    maxTextBytes: options.maxTextBytes ?? 32 * 1024 * 1024,
  };
  const timeoutMs = options.timeoutMs ?? 60_000;
  const worker = createSerialWorker<PdfRequest, PdfResponse>({
    url: new URL('./pdf-extract.worker.ts', import.meta.url),
    name: 'PDF worker',
    timeoutMs,
    timeoutError: () => extractionFailure.timeout(timeoutMs),
    toError,
    closedError: () => new Error('PDF extractor is closed'),
  });
  // The copy's buffer moves to the worker rather than being cloned a second time.
  const call = (request: PdfRequest) => worker.call(request, [request.bytes.buffer]);

  return {
    async inspect(bytes) {
      return (await call({ type: 'inspect', bytes: new Uint8Array(bytes), limits })) as { pageCount: number };
    },
    async extractPages(bytes, { from, to }) {
      const request = { type: 'extract', bytes: new Uint8Array(bytes), limits, from, to } as const;
      return (await call(request)) as PageText[];
    },
    close: () => worker.close(),
  };
}
