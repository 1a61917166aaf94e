import { isAiError } from '../../platform/ai/ai-errors.ts';
import type { ChatMessage, Llm } from '../../platform/ai/llm.ts';
import type { CitationRow } from '../../platform/db/tables.ts';
import { citationsFor } from './citations.ts';
import type { ExtractiveEngine } from './extractive-engine.ts';
import { ANSWER_MAX_TOKENS, ANSWER_TEMPERATURE, chatPrompt } from './prompt.ts';
import type { Source } from './sources.ts';

export interface AnswerRequest {
  userId: string;
  question: string;
  history: ChatMessage[];
  sources: Source[];
  /** performance.now() when the request began: time to first token counts from there. */
  startedAt: number;
  /** Aborted when the client goes away or the process shuts down: the answer so far is kept as interrupted. */
  signal: AbortSignal;
  onToken(text: string): void;
  onNotice(text: string): void;
}

export interface Answer {
  content: string;
  engine: 'llm' | 'extractive';
  model: string;
  notice: string | null;
  interrupted: boolean;
  citations: CitationRow[];
  /** From the request to the first token; null when none came. */
  firstTokenMs: number | null;
}

export interface AnswerComposerDeps {
  /** Undefined in embedded mode: the extractive engine answers. */
  llm: Llm | undefined;
  extractive: ExtractiveEngine;
  maxInputTokens: number;
  observeFirstToken(engine: Answer['engine'], seconds: number): void;
}

/**
 * One answer, streamed token by token: the model when there is one, else (or when it fails: down, 5xx after its
 * retries, past the deadline) the extractive engine, with a notice instead of an error. The SDK retries only
 * before the first token; a stream that breaks later keeps what was said and the extractive answer follows.
 */
export function createAnswerComposer(deps: AnswerComposerDeps) {
  return async function compose(request: AnswerRequest): Promise<Answer> {
    const { llm, extractive } = deps;
    const answer: Answer = {
      content: '',
      engine: llm ? 'llm' : 'extractive',
      model: llm?.model ?? extractive.model,
      notice: null,
      interrupted: false,
      citations: [],
      firstTokenMs: null,
    };
    const emit = (text: string) => {
      if (answer.firstTokenMs === null) {
        answer.firstTokenMs = performance.now() - request.startedAt;
        deps.observeFirstToken(answer.engine, answer.firstTokenMs / 1000);
      }
      answer.content += text;
      request.onToken(text);
    };
    const answerExtractively = async () => {
      const text = await extractive.answer(request.question, request.sources, request.signal);
      // Paragraph by paragraph, so both engines look the same on the wire.
      for (const piece of text.split(/(?<=\n\n)/)) emit(piece);
    };

    try {
      if (!llm) {
        await answerExtractively();
      } else {
        try {
          const messages = chatPrompt({ ...request, maxInputTokens: deps.maxInputTokens });
          const stream = llm.stream({
            messages,
            maxTokens: ANSWER_MAX_TOKENS,
            temperature: ANSWER_TEMPERATURE,
            signal: request.signal,
            task: 'chat',
            userId: request.userId,
          });
          for await (const event of stream) {
            if ('delta' in event) emit(event.delta);
            else answer.model = event.done.model;
          }
        } catch (error) {
          if (request.signal.aborted || !isAiError(error)) throw error;
          answer.notice = fallbackNotice(error.code, answer.content !== '');
          request.onNotice(answer.notice);
          if (answer.content !== '') emit('\n\n');
          answer.engine = 'extractive';
          answer.model = extractive.model;
          await answerExtractively();
        }
      }
    } catch (error) {
      if (!request.signal.aborted) throw error;
      answer.interrupted = true;
    }
    answer.citations = citationsFor(answer.content, request.sources);
    return answer;
  };
}

export type AnswerComposer = ReturnType<typeof createAnswerComposer>;

const REASONS: Record<string, string> = {
  AI_TIMEOUT: 'it did not finish in time',
  AI_RATE_LIMITED: 'it is rate limiting us',
};

function fallbackNotice(code: string, midAnswer: boolean): string {
  const reason = REASONS[code] ?? 'it is unavailable';
  return midAnswer
    ? `The language model stopped mid-answer (${reason}); an extractive answer follows.`
    : `The language model did not answer (${reason}); this is an extractive answer instead.`;
}
