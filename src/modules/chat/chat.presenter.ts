import type { ConversationRow, MessageRow } from './conversations.repository.ts';

export function presentConversation(row: ConversationRow) {
  return { id: row.id, title: row.title, scope: row.scope, createdAt: row.created_at.toISOString() };
}

export function presentMessage(row: MessageRow) {
  return {
    id: row.id,
    role: row.role,
    content: row.content,
    citations: row.citations,
    status: row.status,
    engine: row.engine,
    model: row.model,
    notice: row.notice,
    createdAt: row.created_at.toISOString(),
  };
}
