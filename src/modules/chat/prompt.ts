import { estimateTokens } from '../../platform/ai/ai-hooks.ts';
import type { ChatMessage } from '../../platform/ai/llm.ts';
import type { Source } from './sources.ts';

/** Part of the cache and of stored answers' provenance: bump it when the wording below changes. */
export const CHAT_PROMPT_VERSION = 'chat-v1';
/** The history window before trimming to the token budget (DESIGN §7). */
export const HISTORY_MESSAGES = 20;
export const ANSWER_MAX_TOKENS = 800;
export const ANSWER_TEMPERATURE = 0.2;
/** Share of the input budget the retrieved sources may take; history gets what is left. */
export const SOURCES_SHARE = 0.6;

const SYSTEM = [
  "You answer questions about the user's documents using only the numbered sources given with each question.",
  'Cite every claim with its source number in square brackets, like [1] or [2][3].',
  'If the sources do not contain the answer, say so plainly instead of guessing.',
  'Answer in the language of the question, concisely.',
].join(' ');

export interface PromptInput {
  question: string;
  /** Earlier messages, oldest first (at most HISTORY_MESSAGES). */
  history: ChatMessage[];
  sources: Source[];
  maxInputTokens: number;
}

/** System instructions, as much recent history as fits, then the sources and the question. */
export function chatPrompt(input: PromptInput): ChatMessage[] {
  const system: ChatMessage = { role: 'system', content: SYSTEM };
  const ask: ChatMessage = { role: 'user', content: questionWithSources(input.question, input.sources) };
  const spent = estimateTokens(system.content) + estimateTokens(ask.content);
  return [system, ...recentHistory(input.history, input.maxInputTokens - spent), ask];
}

/** The newest messages whose tokens fit `budget`, oldest first; a conversation never starts on an answer. */
export function recentHistory(history: ChatMessage[], budget: number): ChatMessage[] {
  const kept: ChatMessage[] = [];
  let spent = 0;
  for (const message of [...history.slice(-HISTORY_MESSAGES)].reverse()) {
    spent += estimateTokens(message.content);
    if (spent > budget) break;
    kept.unshift(message);
  }
  while (kept[0]?.role === 'assistant') kept.shift();
  return kept;
}

function questionWithSources(question: string, sources: Source[]): string {
  if (sources.length === 0) {
    return `Sources: none were found in the documents of this conversation.\n\nQuestion: ${question}`;
  }
  const blocks = sources.map(
    (s) =>
      `[${s.marker}] "${s.title}", ${s.pageFrom === s.pageTo ? `page ${s.pageFrom}` : `pages ${s.pageFrom}–${s.pageTo}`}:\n${s.text}`,
  );
  return `Sources:\n\n${blocks.join('\n\n')}\n\nQuestion: ${question}`;
}
