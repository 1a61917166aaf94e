import { uuidv7 } from 'uuidv7';
import { isAiError } from '../../platform/ai/ai-errors.ts';
import { AppError } from '../../platform/errors.ts';
import { recordTiming } from '../../platform/observability/request-context.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import type { ConversationScopeRow } from '../../platform/db/tables.ts';
import type { SearchService } from '../search/index.ts';
import type { Actor } from '../users/index.ts';
import { conversationNotFound } from './chat.errors.ts';
import type { Answer, AnswerComposer, AnswerRequest } from './compose-answer.ts';
import type { ConversationsRepository, MessageRow } from './conversations.repository.ts';
import { HISTORY_MESSAGES, SOURCES_SHARE } from './prompt.ts';
import { packSources, type Source } from './sources.ts';
import { anyOfWords } from './word-overlap.ts';

export interface ChatServiceDeps {
  conversations: ConversationsRepository;
  search: Pick<SearchService, 'search'>;
  compose: AnswerComposer;
  /** Present when a language model answers: its tokens come out of the user's daily budget. */
  budget: { assertAvailable(userId: string): Promise<void> } | undefined;
  maxInputTokens: number;
  /** Chunks retrieved per question. */
  retrieve: number;
  observeRagOverhead(seconds: number): void;
}

/** A question accepted and its context gathered; `answer` streams and stores the reply. */
export interface Turn {
  question: MessageRow;
  sources: Source[];
  answer(
    stream: Pick<AnswerRequest, 'signal' | 'onToken' | 'onNotice'>,
  ): Promise<{ message: MessageRow; answer: Answer }>;
}

export function createChatService(deps: ChatServiceDeps) {
  const { conversations } = deps;

  async function owned(actor: Actor, id: string) {
    const conversation = await conversations.find(actor.id, id);
    if (!conversation) throw conversationNotFound();
    return conversation;
  }

  async function retrieve(actor: Actor, question: string, scope: ConversationScopeRow): Promise<Source[]> {
    const started = performance.now();
    const search = (mode: 'hybrid' | 'text') =>
      deps.search.search(actor, {
        q: question,
        // A question rarely repeats every word of its answer: full text matches any of its words, ranked.
        textQuery: anyOfWords(question),
        mode,
        limit: deps.retrieve,
        documentIds: scope.documentIds,
        tags: scope.tags,
        kind: scope.kind,
      });
    // An AI endpoint that is down cannot embed the question either: answer from full-text retrieval then.
    const { hits } = await search('hybrid').catch((error: unknown) => {
      if (!isAiError(error)) throw error;
      return search('text');
    });
    const rows =
      hits.length > 0
        ? await conversations.chunks(
            actor.id,
            hits.map((h) => h.chunk_id),
          )
        : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    const chunks = hits.flatMap((hit) => {
      const row = byId.get(hit.chunk_id);
      return row
        ? [
            {
              chunkId: row.id,
              documentId: row.document_id,
              title: row.title,
              pageFrom: row.page_from,
              pageTo: row.page_to,
              pageBreaks: row.page_breaks,
              text: row.text,
            },
          ]
        : [];
    });
    recordTiming('retrieve', performance.now() - started);
    return packSources(chunks, deps.maxInputTokens * SOURCES_SHARE);
  }

  return {
    async create(actor: Actor, input: { title?: string; scope: ConversationScopeRow }) {
      const { documentIds } = input.scope;
      if (documentIds) {
        const mine =
          documentIds.length > 0 ? await conversations.ownedDocuments(actor.id, documentIds) : new Set();
        const unknown = documentIds.filter((id) => !mine.has(id));
        if (unknown.length > 0 || documentIds.length === 0) {
          throw new AppError(
            'CHAT_SCOPE_INVALID',
            422,
            documentIds.length === 0
              ? 'scope.documentIds must name at least one document (or leave it out for all of them).'
              : `No document of yours has the id ${unknown.join(', ')}.`,
          );
        }
      }
      return conversations.create({
        id: uuidv7(),
        owner_id: actor.id,
        title: input.title ?? null,
        scope: input.scope,
      });
    },

    async list(actor: Actor, page: { limit: number; cursor?: string }) {
      const rows = await conversations.list(actor.id, {
        limit: page.limit,
        after: decodeCursor(page.cursor),
      });
      return toPage(rows, page.limit);
    },

    get: owned,

    async delete(actor: Actor, id: string): Promise<void> {
      if (!(await conversations.delete(actor.id, id))) throw conversationNotFound();
    },

    async messages(actor: Actor, id: string, page: { limit: number; cursor?: string }) {
      await owned(actor, id);
      const rows = await conversations.messages(id, { limit: page.limit, after: decodeCursor(page.cursor) });
      return toPage(rows, page.limit);
    },

    /**
     * Stores the question and gathers the answer's context (history, retrieval). Everything that can refuse
     * the request (404, 429) happens here, before any answer bytes are sent.
     */
    async ask(actor: Actor, id: string, content: string): Promise<Turn> {
      const started = performance.now();
      const conversation = await owned(actor, id);
      await deps.budget?.assertAvailable(actor.id);
      const recent = await conversations.messages(id, { limit: HISTORY_MESSAGES });
      const history = recent
        .slice(0, HISTORY_MESSAGES)
        .reverse()
        .map((m) => ({ role: m.role, content: m.content }));
      const question = await conversations.insertMessage({
        id: uuidv7(),
        conversation_id: id,
        role: 'user',
        content,
      });
      const sources = await retrieve(actor, content, conversation.scope);
      const overhead = performance.now() - started;
      recordTiming('rag', overhead);
      deps.observeRagOverhead(overhead / 1000);

      return {
        question,
        sources,
        async answer(stream) {
          const answer = await deps.compose({
            ...stream,
            startedAt: started,
            userId: actor.id,
            question: content,
            history,
            sources,
          });
          const message = await conversations.insertMessage({
            id: uuidv7(),
            conversation_id: id,
            role: 'assistant',
            content: answer.content,
            citations: answer.citations,
            status: answer.interrupted ? 'interrupted' : 'complete',
            engine: answer.engine,
            model: answer.model,
            notice: answer.notice,
          });
          return { message, answer };
        },
      };
    },
  };
}

export type ChatService = ReturnType<typeof createChatService>;
