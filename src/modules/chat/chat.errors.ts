import { AppError, defineErrors } from '../../platform/errors.ts';

export const CHAT_ERRORS = defineErrors({
  CHAT_CONVERSATION_NOT_FOUND: {
    status: 404,
    when: 'No conversation with this id belongs to you; another user’s conversations answer the same.',
  },
  CHAT_SCOPE_INVALID: {
    status: 422,
    when: 'The conversation scope names documents you do not have (or none at all when `documentIds` is empty).',
  },
});

export const conversationNotFound = () =>
  new AppError('CHAT_CONVERSATION_NOT_FOUND', 404, 'No conversation with this id was found.');
