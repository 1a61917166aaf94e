// Worker thread: the CPU-heavy text work of ingestion (Markdown/HTML to text, chunking, LexRank), which
// takes up to ~0.7 s a call on a large document, so it runs here and never blocks the main event loop.
// Started by text-worker.ts; one request at a time.
import { serveRequests } from '../../platform/worker-threads/serial-worker.ts';
import { chunkPages, type PageText } from './chunking/chunker.ts';
import { markupToText } from './markup-to-text.ts';
import { createExtractiveSummarizer } from './summarize/extractive-summarizer.ts';
import type { SummaryInput } from './summarize/summarizer.ts';

const summarizer = createExtractiveSummarizer();

const work = {
  toText: (mime: string, source: string) => markupToText(mime, source),
  chunk: (pages: readonly PageText[]) => chunkPages(pages),
  summarize: (input: SummaryInput) => summarizer.summarize(input),
};

/** What the worker does, by operation; text-worker.ts derives its call types from it. */
export type TextWork = typeof work;
export type TextOperation = keyof TextWork;

/** Messages between `text-worker.ts` (main thread) and this worker. */
export interface TextRequest<K extends TextOperation = TextOperation> {
  op: K;
  args: Parameters<TextWork[K]>;
}

export interface TextFailure {
  type: 'error';
  name: string;
  message: string;
  stack: string | undefined;
}

export type TextResponse = { type: 'result'; value: unknown } | TextFailure;

function handle({ op, args }: TextRequest): unknown {
  // `args` was typed against `op` by the sender; the union cannot be narrowed through the lookup.
  return (work[op] as (...args: unknown[]) => unknown)(...args);
}

function failure(error: unknown): TextFailure {
  const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
  return { type: 'error', name, message, stack };
}

serveRequests<TextRequest, TextResponse>(handle, failure);
