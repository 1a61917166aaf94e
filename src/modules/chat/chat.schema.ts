import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../platform/pagination.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Kind = Type.Union([Type.Literal('document'), Type.Literal('story')]);

export const NoContent = Type.Null({ description: 'No content' });

export const ConversationParams = Type.Object({ id: Uuid });

export const Scope = Type.Object(
  {
    documentIds: Type.Optional(
      Type.Array(Uuid, {
        maxItems: 100,
        uniqueItems: true,
        description: 'only these documents (a story chat: one story)',
      }),
    ),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
        maxItems: 20,
        description: 'only documents with at least one of these tags',
      }),
    ),
    kind: Type.Optional(Kind),
  },
  {
    additionalProperties: false,
    description: 'Which of your ready documents answers may draw on; all when empty.',
  },
);

export const CreateConversationBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    scope: Type.Optional(Scope),
  },
  { additionalProperties: false },
);

export const Conversation = Type.Object({
  id: Uuid,
  title: Type.Union([Type.String(), Type.Null()]),
  scope: Scope,
  createdAt: DateTime,
});

export const ConversationPage = Type.Object({
  items: Type.Array(Conversation),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const MessagesQuery = PageQuery;

const Citation = Type.Object({
  marker: Type.Integer({ description: 'the `[n]` in the answer text' }),
  documentId: Uuid,
  title: Type.String(),
  page: Type.Integer({ description: 'page the quote is on' }),
  chunkId: Uuid,
  quote: Type.String(),
});

export const Message = Type.Object({
  id: Uuid,
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
  content: Type.String(),
  citations: Type.Array(Citation),
  status: Type.Union([Type.Literal('complete'), Type.Literal('interrupted')], {
    description: 'interrupted: cut short by shutdown or a client that left; holds what was generated',
  }),
  engine: Type.Union([Type.Literal('llm'), Type.Literal('extractive'), Type.Null()]),
  model: Type.Union([Type.String(), Type.Null()]),
  notice: Type.Union([Type.String(), Type.Null()], {
    description: 'e.g. why an extractive answer replaced the model',
  }),
  createdAt: DateTime,
});

export const MessagePage = Type.Object({
  items: Type.Array(Message),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const AskBody = Type.Object(
  { content: Type.String({ minLength: 1, maxLength: 4000, pattern: '\\S' }) },
  { additionalProperties: false },
);

export const AskResult = Type.Object({ question: Message, answer: Message });
