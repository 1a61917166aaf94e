/** A chat model: one answer at once, or the same answer as a stream of text deltas. */
export interface Llm {
  readonly model: string;
  complete(request: CompletionRequest): Promise<Completion>;
  /** Yields deltas in order, then exactly one `done` carrying the whole text and its usage. */
  stream(request: CompletionRequest): AsyncIterable<CompletionEvent>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  /** Constrains the answer to JSON matching `schema`; the text is then checked to parse as JSON. */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  signal?: AbortSignal;
  /** Label for metrics and token accounting; `chat` when absent. */
  task?: string;
  /** Whose daily AI token budget pays for the call; unset for calls no user is charged for. */
  userId?: string;
}

export interface Completion {
  text: string;
  usage: { promptTokens: number; completionTokens: number };
  model: string;
  finishReason: string;
}

export type CompletionEvent = { delta: string } | { done: Completion };
