// The ingest module: pure text work for the library's pipeline (extraction, chunking, summaries). No tables.
export { ExtractionError, extractionFailure } from './extract/extraction-error.ts';
export { hasTextLayer } from './extract/page-text.ts';
export { createPdfExtractor, type PdfExtractor } from './extract/pdf-extractor.ts';
export { createLlmSummarizer } from './summarize/llm-summarizer.ts';
export type { Summarizer } from './summarize/summarizer.ts';
export { PROMPT_VERSION as SUMMARY_PROMPT_VERSION } from './summarize/summary-prompts.ts';
export { centralSentences } from './summarize/centrality.ts';
export { splitSentences } from './summarize/sentences.ts';
export {
  createTextWorker,
  textWorkerSummarizer,
  type TextWorker,
  type TextWorkerOptions,
} from './text-worker.ts';
