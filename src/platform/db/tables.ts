import type { ColumnType, Generated } from 'kysely';

// Row types of every table, as Kysely sees them. Migrations in migrations/ are the source of truth.

type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string | null;
  display_name: string;
  provider: Generated<string>;
  provider_id: string | null;
  created_at: CreatedAt;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  token_hash: string;
  name: string;
  last_used_at: Date | null;
  created_at: CreatedAt;
}

export interface RefreshTokensTable {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  expires_at: Date;
  replaced_at: Date | null;
  revoked_at: Date | null;
  created_at: CreatedAt;
}

export interface OutboxEventsTable {
  id: string;
  type: string;
  aggregate_id: string | null;
  payload: ColumnType<unknown, string, string>;
  created_at: CreatedAt;
}

export interface OutboxDeliveriesTable {
  event_id: string;
  consumer: string;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  delivered_at: Date | null;
  last_error: string | null;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  request_hash: string;
  status: 'in_flight' | 'done';
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null>;
  /** Renewed when a retry takes over a key whose request died (see idempotency.repository). */
  created_at: ColumnType<Date, Date | undefined, Date>;
}

export type DocumentStatus = 'queued' | 'extracting' | 'embedding' | 'summarizing' | 'ready' | 'failed';

export interface DocumentsTable {
  id: string;
  owner_id: string;
  kind: 'document' | 'story';
  title: string;
  file_name: string | null;
  mime: string;
  byte_size: ColumnType<number, number, number>;
  sha256: string;
  blob_key: string;
  status: ColumnType<DocumentStatus, DocumentStatus | undefined, DocumentStatus>;
  stage_progress: Generated<number>;
  error: string | null;
  generation: Generated<number>;
  heartbeat_at: ColumnType<Date, Date | undefined, Date>;
  page_count: number | null;
  pages_done: Generated<number>;
  chunk_count: number | null;
  embedding: 'done' | 'skipped' | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface DocumentTagsTable {
  document_id: string;
  tag: string;
}

export interface StorageUsageTable {
  owner_id: string;
  bytes: ColumnType<number, number, number>;
}

export interface DocumentPagesTable {
  document_id: string;
  page: number;
  text: string;
}

export interface ChunksTable {
  id: string;
  document_id: string;
  ord: number;
  page_from: number;
  page_to: number;
  char_start: number;
  char_end: number;
  text: string;
  text_sha256: string;
  tsv: ColumnType<string, never, never>;
}

export interface SummariesTable {
  document_id: string;
  kind: string;
  text: string;
  model: string;
  method: 'extractive' | 'llm';
  note: string | null;
  input_sha256: string;
  created_at: CreatedAt;
}

export interface EmbeddingSpacesTable {
  id: Generated<number>;
  model: string;
  dims: number;
  active: Generated<boolean>;
  created_at: CreatedAt;
}

export interface ChunkEmbeddingsTable {
  chunk_id: string;
  space_id: number;
  window_ord: number;
  /** pgvector's text form, '[0.1,0.2,…]'. */
  embedding: string;
}

export interface Tables {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  refresh_tokens: RefreshTokensTable;
  outbox_events: OutboxEventsTable;
  outbox_deliveries: OutboxDeliveriesTable;
  idempotency_keys: IdempotencyKeysTable;
  documents: DocumentsTable;
  document_tags: DocumentTagsTable;
  storage_usage: StorageUsageTable;
  document_pages: DocumentPagesTable;
  chunks: ChunksTable;
  summaries: SummariesTable;
  embedding_spaces: EmbeddingSpacesTable;
  chunk_embeddings: ChunkEmbeddingsTable;
}
