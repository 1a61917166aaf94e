import { Worker } from 'node:worker_threads';
import { ExtractionError, extractionFailure } from './extraction-error.ts';
import type { PageText, PdfLimits, PdfRequest, PdfResponse } from './pdf-worker-protocol.ts';

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

const WORKER_URL = new URL('./pdf-extract.worker.ts', import.meta.url);

function startWorker(): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL);
    // An idle extractor must not keep the process alive; a pending call's timer does.
    worker.unref();
    const fail = (error: Error) => {
      void worker.terminate();
      reject(error);
    };
    const exited = (code: number) => fail(new Error(`PDF worker exited with code ${code} while starting`));
    worker.once('error', fail).once('exit', exited);
    worker.once('message', () => {
      worker.off('error', fail).off('exit', exited);
      resolve(worker);
    });
  });
}

function toError(response: Exclude<PdfResponse, { type: 'result' }>): Error {
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
  let worker: Worker | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  function retire(stale: Worker): void {
    if (worker === stale) worker = undefined;
    void stale.terminate();
  }

  function send(target: Worker, request: PdfRequest): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const settle = (error: Error | undefined, value?: unknown) => {
        clearTimeout(timer);
        target.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (error) reject(error);
        else resolve(value);
      };
      const onMessage = (response: PdfResponse) =>
        response.type === 'result' ? settle(undefined, response.value) : settle(toError(response));
      // An uncaught error or a heap overflow (ERR_WORKER_OUT_OF_MEMORY) kills the worker; retryable.
      const onError = (error: Error) => {
        retire(target);
        settle(error);
      };
      const onExit = (code: number) => {
        retire(target);
        settle(new Error(`PDF worker exited with code ${code}`));
      };
      const timer = setTimeout(() => {
        retire(target);
        settle(extractionFailure.timeout(timeoutMs));
      }, timeoutMs);
      target.on('message', onMessage).on('error', onError).on('exit', onExit);
      target.postMessage(request, [request.bytes.buffer]);
    });
  }

  async function call(request: PdfRequest): Promise<unknown> {
    if (closed) throw new Error('PDF extractor is closed');
    const current = (worker ??= await startWorker());
    if (closed) {
      retire(current);
      throw new Error('PDF extractor is closed');
    }
    return send(current, request);
  }

  function enqueue(request: PdfRequest): Promise<unknown> {
    const result = queue.then(() => call(request));
    queue = result.catch(() => undefined);
    return result;
  }

  return {
    async inspect(bytes) {
      return (await enqueue({ type: 'inspect', bytes: new Uint8Array(bytes), limits })) as {
        pageCount: number;
      };
    },
    async extractPages(bytes, { from, to }) {
      return (await enqueue({
        type: 'extract',
        bytes: new Uint8Array(bytes),
        limits,
        from,
        to,
      })) as PageText[];
    },
    async close() {
      closed = true;
      const current = worker;
      worker = undefined;
      await current?.terminate();
    },
  };
}
