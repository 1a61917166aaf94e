import { createSerialWorker } from '../../platform/worker-threads/serial-worker.ts';
import type { Chunk, PageText } from './chunking/chunker.ts';
import { EXTRACTIVE_MODEL } from './summarize/extractive-summarizer.ts';
import type { Summarizer, Summary, SummaryInput } from './summarize/summarizer.ts';
import type { TextFailure, TextOperation, TextRequest, TextResponse, TextWork } from './text-work.worker.ts';

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

// Rebuilt by name so callers can keep telling them apart (chunkPages throws RangeError on bad input).
const BUILT_IN_ERRORS: Record<string, ErrorConstructor> = {
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

function toError(response: TextFailure): Error {
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

/**
 * CPU-heavy text work on one long-lived worker thread, started on first use. Calls run one at a time in
 * arrival order. A call that times out or crashes the worker terminates it, and the next call starts a
 * fresh one. Arguments and results cross by structured clone (a copy: ~1 ms per MB of text).
 */
export function createTextWorker(options: TextWorkerOptions = {}): TextWorker {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const worker = createSerialWorker<TextRequest, TextResponse>({
    url: new URL('./text-work.worker.ts', import.meta.url),
    name: 'Text worker',
    timeoutMs,
    timeoutError: ({ op }) => timeoutError(op, timeoutMs),
    toError,
    closedError: () => new Error('Text worker is closed'),
  });
  const run = <K extends TextOperation>(op: K, ...args: Parameters<TextWork[K]>) =>
    worker.call({ op, args }) as Promise<Result<K>>;

  return {
    toText: (mime, source) => run('toText', mime, source),
    chunk: (pages) => run('chunk', pages),
    summarize: (input) => run('summarize', input),
    close: () => worker.close(),
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
