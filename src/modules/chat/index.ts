// The chat module's public surface: RAG conversations over the library.
export { askRoutes } from './ask.routes.ts';
export { CHAT_ERRORS } from './chat.errors.ts';
export { citationsFor } from './citations.ts';
export { createChatService, type ChatService } from './chat.service.ts';
export { createAnswerComposer } from './compose-answer.ts';
export { createConversationsRepository } from './conversations.repository.ts';
export { conversationsRoutes } from './conversations.routes.ts';
export { createExtractiveEngine } from './extractive-engine.ts';
export { packSources, sourceSentences, type Source, type SourceSentence } from './sources.ts';
