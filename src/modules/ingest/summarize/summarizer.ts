export interface SummaryInput {
  title: string;
  sections: { heading: string | null; text: string }[];
}

export interface Summary {
  text: string;
  model: string;
  method: 'extractive' | 'llm';
  /** What the reader should know about how the summary was made; null for a plain LLM summary. */
  note: string | null;
  /** Tokens spent upstream, failed attempts before a fallback included. */
  usage: { promptTokens: number; completionTokens: number };
}

/** One summary per document, by whichever engine the deployment has. */
export interface Summarizer {
  readonly model: string;
  /** `userId`: whose daily AI token budget pays for model calls (the document's owner). */
  summarize(input: SummaryInput, options?: { signal?: AbortSignal; userId?: string }): Promise<Summary>;
}
