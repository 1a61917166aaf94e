import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../platform/pagination.ts';
import type { Authenticate } from '../users/index.ts';
import { presentConversation, presentMessage } from './chat.presenter.ts';
import {
  Conversation,
  ConversationPage,
  ConversationParams,
  CreateConversationBody,
  MessagePage,
  NoContent,
} from './chat.schema.ts';
import type { ChatService } from './chat.service.ts';

/** Conversations and their history; asking is in ask.routes.ts. */
export function conversationsRoutes(
  chat: ChatService,
  authenticate: Authenticate,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', authenticate);
    const security = [{ bearer: [] }];
    const tags = ['chat'];

    app.post(
      '/conversations',
      {
        config: { idempotent: true },
        schema: {
          tags,
          summary: 'Start a conversation over your documents; `scope` narrows it (one story: a story chat).',
          description: 'Honours Idempotency-Key. Errors: 422 CHAT_SCOPE_INVALID.',
          security,
          body: CreateConversationBody,
          response: { 201: Conversation },
        },
      },
      async (request, reply) => {
        const { title, scope = {} } = request.body;
        const conversation = await chat.create(request.actor, { title, scope });
        return reply.code(201).send(presentConversation(conversation));
      },
    );

    app.get(
      '/conversations',
      {
        schema: {
          tags,
          summary: 'Your conversations, newest first.',
          security,
          querystring: PageQuery,
          response: { 200: ConversationPage },
        },
      },
      async (request) => {
        const page = await chat.list(request.actor, request.query);
        return { items: page.items.map(presentConversation), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/conversations/:id',
      {
        schema: {
          tags,
          summary: 'One conversation.',
          security,
          params: ConversationParams,
          response: { 200: Conversation },
        },
      },
      async (request) => presentConversation(await chat.get(request.actor, request.params.id)),
    );

    app.delete(
      '/conversations/:id',
      {
        schema: {
          tags,
          summary: 'Delete a conversation and its messages.',
          security,
          params: ConversationParams,
          response: { 204: NoContent },
        },
      },
      async (request, reply) => {
        await chat.delete(request.actor, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/conversations/:id/messages',
      {
        schema: {
          tags,
          summary: 'Messages, newest first (keyset paged).',
          security,
          params: ConversationParams,
          querystring: PageQuery,
          response: { 200: MessagePage },
        },
      },
      async (request) => {
        const page = await chat.messages(request.actor, request.params.id, request.query);
        return { items: page.items.map(presentMessage), nextCursor: page.nextCursor };
      },
    );
  };
}
