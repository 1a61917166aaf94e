import { Worker } from 'node:worker_threads';
import type { Chunk, PageText } from './chunking/chunker.ts';
import { EXTRACTIVE_MODEL } from './summarize/extractive-summarizer.ts';
import type { Summarizer, Summary, SummaryInput } from './summarize/summarizer.ts';
import type { TextOperation, TextReady, TextRequest, TextResponse, TextWork } from './text-work.worker.ts';

export interface TextWorkerOptions {
  /** Wall time one call may take in the worker, start-up and queueing excluded (default 120 s). */
  timeoutMs?: number;
}

/** The main-thread text functions, run on a worker thread; results are equal to theirs. */
export interface TextWorker {
  /** markupToText (markup-to-text.ts). */
  toText(mime: string, source: string): Promise<string>;
  /** chunkPages (chunking/chunker.ts) with its default options. */
  chunk(pages: readonly PageText[]): Promise<Chunk[]>;
  /** createExtractiveSummarizer().summarize (summarize/extractive-summarizer.ts). */
  summarize(input: SummaryInput): Promise<Summary>;
  /** Terminates the worker; the call in flight and those queued reject. */
  close(): Promise<void>;
}

type Result<K extends TextOperation> = Awaited<ReturnType<TextWork[K]>>;

const WORKER_URL = new URL('./text-work.worker.ts', import.meta.url);

// Rebuilt by name so callers can keep telling them apart (chunkPages throws RangeError on bad input).
const BUILT_IN_ERRORS: Record<string, ErrorConstructor> = {
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

function startWorker(): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL);
    // An idle worker must not keep the process alive; a pending call's timer does.
    worker.unref();
    const fail = (error: Error) => {
      void worker.terminate();
      reject(error);
    };
    const exited = (code: number) => fail(new Error(`Text worker exited with code ${code} while starting`));
    worker.once('error', fail).once('exit', exited);
    worker.once('message', (_ready: TextReady) => {
      worker.off('error', fail).off('exit', exited);
      resolve(worker);
    });
  });
}

function toError(response: Extract<TextResponse, { type: 'error' }>): Error {
  const error = new (BUILT_IN_ERRORS[response.name] ?? Error)(response.message);
  error.name = response.name;
  // The worker's stack says where it failed; one taken here would only show the message handler.
  if (response.stack) error.stack = response.stack;
  return error;
}

function timeoutError(op: TextOperation, timeoutMs: number): Error {
  const error = new Error(`Text work (${op}) took longer than ${Math.ceil(timeoutMs / 1000)} s`);
  error.name = 'TimeoutError';
  return error;
}

const closedError = () => new Error('Text worker is closed');

/**
 * CPU-heavy text work on one long-lived worker thread, started on first use. Calls run one at a time in
 * arrival order. A call that times out or crashes the worker terminates it, and the next call starts a
 * fresh one. Arguments and results cross by structured clone (a copy: ~1 ms per MB of text).
 */
export function createTextWorker(options: TextWorkerOptions = {}): TextWorker {
  const timeoutMs = options.timeoutMs ?? 120_000;
  let worker: Worker | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  function retire(stale: Worker): void {
    if (worker === stale) worker = undefined;
    void stale.terminate();
  }

  function send<K extends TextOperation>(target: Worker, request: TextRequest<K>): Promise<Result<K>> {
    return new Promise((resolve, reject) => {
      const settle = (error: Error | undefined, value?: unknown) => {
        clearTimeout(timer);
        target.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (error) reject(error);
        else resolve(value as Result<K>);
      };
      const onMessage = (response: TextResponse) =>
        response.type === 'result' ? settle(undefined, response.value) : settle(toError(response));
      // An uncaught error or a heap overflow (ERR_WORKER_OUT_OF_MEMORY) kills the worker; retryable.
      const onError = (error: Error) => {
        retire(target);
        settle(error);
      };
      const onExit = (code: number) => {
        retire(target);
        settle(closed ? closedError() : new Error(`Text worker exited with code ${code}`));
      };
      const timer = setTimeout(() => {
        retire(target);
        settle(timeoutError(request.op, timeoutMs));
      }, timeoutMs);
      target.on('message', onMessage).on('error', onError).on('exit', onExit);
      target.postMessage(request);
    });
  }

  async function call<K extends TextOperation>(request: TextRequest<K>): Promise<Result<K>> {
    if (closed) throw closedError();
    const current = (worker ??= await startWorker());
    if (closed) {
      retire(current);
      throw closedError();
    }
    return send(current, request);
  }

  function enqueue<K extends TextOperation>(op: K, ...args: Parameters<TextWork[K]>): Promise<Result<K>> {
    const result = queue.then(() => call({ op, args }));
    queue = result.catch(() => undefined);
    return result;
  }

  return {
    toText: (mime, source) => enqueue('toText', mime, source),
    chunk: (pages) => enqueue('chunk', pages),
    summarize: (input) => enqueue('summarize', input),
    async close() {
      closed = true;
      const current = worker;
      worker = undefined;
      await current?.terminate();
    },
  };
}

/**
 * The extractive summarizer, run on `worker`: a drop-in for createExtractiveSummarizer(), also as the LLM
 * summarizer's fallback. Like it, it ignores the abort signal: a started LexRank run is not interruptible.
 */
export function textWorkerSummarizer(worker: TextWorker): Summarizer {
  return {
    model: EXTRACTIVE_MODEL,
    summarize: (input) => worker.summarize(input),
  };
}
