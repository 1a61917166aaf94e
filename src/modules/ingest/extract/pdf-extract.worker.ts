// Worker thread: pdf.js (via unpdf's serverless build) parses on the thread that calls it, so it runs
// here and never blocks the main event loop. Started by pdf-extractor.ts; one request at a time.
import { getDocumentProxy, getResolvedPDFJS } from 'unpdf';
import { serveRequests } from '../../../platform/worker-threads/serial-worker.ts';
import { extractionFailure, ExtractionError } from './extraction-error.ts';
import { pageText } from './page-text.ts';
import type { PageText, PdfFailure, PdfLimits, PdfRequest, PdfResponse } from './pdf-worker-protocol.ts';

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

function looksLikePdf(bytes: Uint8Array): boolean {
  // pdf.js accepts the header anywhere in the first 1 KiB.
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024)).includes('%PDF-');
}

// pdf.js reports parse failures as InvalidPDFException when opening and as UnknownErrorException (a
// wrapped FormatError etc.) when a page is read; both mean the bytes are damaged.
function fromPdfjs(error: unknown): unknown {
  const name = error instanceof Error ? error.name : '';
  if (name === 'PasswordException') return extractionFailure.encrypted();
  if (name === 'InvalidPDFException' || name === 'UnknownErrorException') return extractionFailure.corrupt();
  return error;
}

async function open(bytes: Uint8Array, limits: PdfLimits): Promise<PdfDocument> {
  if (!looksLikePdf(bytes)) throw extractionFailure.unsupported();
  const pdf = await getDocumentProxy(bytes, { verbosity: 0 }).catch((error) => {
    throw fromPdfjs(error);
  });
  if (pdf.numPages > limits.maxPages) {
    await pdf.loadingTask.destroy();
    throw extractionFailure.tooManyPages(pdf.numPages, limits.maxPages);
  }
  return pdf;
}

async function readPage(pdf: PdfDocument, page: number) {
  const proxy = await pdf.getPage(page);
  const { items } = await proxy.getTextContent();
  proxy.cleanup();
  return items;
}

async function extract(pdf: PdfDocument, from: number, to: number, limits: PdfLimits): Promise<PageText[]> {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || from > to || to > pdf.numPages) {
    throw new RangeError(`Page range ${from}-${to} is outside 1-${pdf.numPages}`);
  }
  const pages: PageText[] = [];
  let bytes = 0;
  for (let page = from; page <= to; page++) {
    const items = await readPage(pdf, page).catch((error) => {
      throw fromPdfjs(error);
    });
    const text = pageText(items.filter((item) => 'str' in item));
    bytes += Buffer.byteLength(text);
    if (bytes > limits.maxTextBytes) throw extractionFailure.tooLarge(limits.maxTextBytes);
    pages.push({ page, text });
  }
  return pages;
}

async function handle(request: PdfRequest): Promise<{ pageCount: number } | PageText[]> {
  const pdf = await open(request.bytes, request.limits);
  try {
    return request.type === 'inspect'
      ? { pageCount: pdf.numPages }
      : await extract(pdf, request.from, request.to, request.limits);
  } finally {
    await pdf.loadingTask.destroy();
  }
}

function failure(error: unknown): PdfFailure {
  if (error instanceof ExtractionError)
    return { type: 'failure', reason: error.reason, message: error.message };
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  return { type: 'error', name, message };
}

await getResolvedPDFJS();
serveRequests<PdfRequest, PdfResponse>(handle, failure);
