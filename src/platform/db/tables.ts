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
  /** Marked at most once an hour; fan-out skips users inactive for FEED_INACTIVE_AFTER_DAYS. */
  last_active_at: Generated<Date>;
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
  /** Offsets in `text` where pages page_from + 1 … page_to begin. */
  page_breaks: ColumnType<number[], number[] | undefined, number[]>;
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
  /** Derived from `state` (generated column). */
  active: ColumnType<boolean, never, never>;
  state: Generated<EmbeddingSpaceState>;
  error: string | null;
  /** The re-embed job's keyset position: chunks up to this id are done. */
  reembed_cursor: string | null;
  embedded_chunks: Generated<number>;
  activated_at: Date | null;
  retired_at: Date | null;
  created_at: CreatedAt;
}

export type EmbeddingSpaceState = 'building' | 'active' | 'retired' | 'failed';

export interface ChunkEmbeddingsTable {
  chunk_id: string;
  space_id: number;
  window_ord: number;
  /** pgvector's text form, '[0.1,0.2,…]'. */
  embedding: string;
}

export interface AiUsageTable {
  user_id: string;
  /** The UTC day, written as 'YYYY-MM-DD'. */
  day: ColumnType<Date, string, never>;
  /** bigint: pg hands it back as a string, so reads cast it. */
  tokens: ColumnType<string | number, number, number>;
}

export interface ConversationsTable {
  id: string;
  owner_id: string;
  title: string | null;
  scope: ColumnType<ConversationScopeRow, string, string>;
  created_at: CreatedAt;
}

export interface ConversationScopeRow {
  documentIds?: string[];
  tags?: string[];
  kind?: 'document' | 'story';
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  content: string;
  citations: ColumnType<CitationRow[], string | undefined, string>;
  status: ColumnType<'complete' | 'interrupted', 'complete' | 'interrupted' | undefined, never>;
  engine: 'llm' | 'extractive' | null;
  model: string | null;
  notice: string | null;
  created_at: CreatedAt;
}

export interface CitationRow {
  marker: number;
  documentId: string;
  title: string;
  page: number;
  chunkId: string;
  quote: string;
}

export interface ConnectionsTable {
  user_id: string;
  peer_id: string;
  status: 'pending' | 'accepted' | 'blocked';
  created_at: CreatedAt;
}

export interface AudienceTagsTable {
  id: string;
  owner_id: string;
  name: string;
  created_at: CreatedAt;
}

export interface ConnectionTagsTable {
  owner_id: string;
  peer_id: string;
  tag_id: string;
}

export interface PostsTable {
  id: string;
  author_id: string;
  body: string;
  audience: 'all' | 'tags';
  created_at: CreatedAt;
}

export interface PostAudienceTagsTable {
  post_id: string;
  tag_id: string;
}

export interface PostPhotosTable {
  post_id: string;
  blob_key: string;
  ord: number;
}

export interface PhotoUploadsTable {
  blob_key: string;
  owner_id: string;
  content_type: string;
  max_bytes: number;
  expires_at: Date;
  post_id: string | null;
  created_at: CreatedAt;
}

export interface DigestDeliveriesTable {
  user_id: string;
  day: string;
  since: Date;
  post_count: number;
  delivered_at: CreatedAt;
}

export interface CommentsTable {
  id: string;
  post_id: string;
  author_id: string;
  body: string;
  created_at: CreatedAt;
}

export interface FeedEntriesTable {
  user_id: string;
  post_id: string;
  created_at: Date;
}

/** An incomplete inbox: posts at or before this position are read from posts ('infinity': all of them). */
export interface FeedInboxesTable {
  user_id: string;
  complete_after_at: Date;
  complete_after_id: string;
}

export interface AiCacheTable {
  key: string;
  owner_id: string;
  task: string;
  output: ColumnType<unknown, string, string>;
  model: string;
  usage: ColumnType<unknown, string | null, string | null>;
  created_at: CreatedAt;
  expires_at: Date;
}

export interface CoursesTable {
  id: string;
  owner_id: string;
  title: string;
  audience: string | null;
  level: 'beginner' | 'intermediate' | 'advanced' | null;
  status: 'queued' | 'generating' | 'ready' | 'failed';
  generation: Generated<number>;
  summary: string | null;
  outline: ColumnType<CourseOutlineRow[] | null, string | null, string | null>;
  objectives: ColumnType<string[] | null, string | null, string | null>;
  engine: 'llm' | 'extractive' | null;
  model: string | null;
  notice: string | null;
  cached: Generated<boolean>;
  cache_key: string;
  error: string | null;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

export interface CourseOutlineRow {
  title: string;
  description: string;
  concepts: string[];
  citations: { documentId: string; page: number; chunkId: string; quote: string }[];
}

export interface CourseDocumentsTable {
  course_id: string;
  document_id: string;
  ord: number;
}

export interface ConceptsTable {
  id: string;
  course_id: string;
  name: string;
  kind: 'course' | 'section' | 'concept';
}

export interface ConceptEdgesTable {
  src_id: string;
  rel: 'contains' | 'relates-to';
  dst_id: string;
}

export interface NotificationsTable {
  id: string;
  user_id: string;
  event_id: string;
  kind: string;
  subject_id: string | null;
  title: string;
  body: string;
  created_at: CreatedAt;
}

export interface CourseSearchTable {
  course_id: string;
  owner_id: string;
  text: string;
  tsv: ColumnType<string, never, never>;
}

export interface ConsumedEventsTable {
  consumer: string;
  event_id: string;
  created_at: CreatedAt;
}

export interface PresentationsTable {
  id: string;
  owner_id: string;
  title: string;
  prompt: string;
  num_cards: number;
  style: string;
  template_id: string;
  theme_id: string;
  document_ids: ColumnType<string[], string, never>;
  ai_only: Generated<boolean>;
  status: 'queued' | 'generating' | 'ready' | 'failed';
  generation: Generated<number>;
  outline: ColumnType<PresentationOutlineRow | null, string | null, string | null>;
  slides: ColumnType<PresentationSlideRow[] | null, string | null, string | null>;
  engine: 'llm' | 'extractive' | null;
  model: string | null;
  degraded: Generated<boolean>;
  notice: string | null;
  cached: Generated<boolean>;
  cache_key: string;
  error: string | null;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

export interface PresentationOutlineRow {
  title: string;
  slides: { title: string; layout: string; intent: string }[];
}

export interface PresentationSlideRow {
  title: string;
  layout: string;
  intent: string;
  content: Record<string, unknown>;
  imageQuery: string;
  citations: { documentId: string; page: number; chunkId: string; quote: string }[];
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
  connections: ConnectionsTable;
  audience_tags: AudienceTagsTable;
  connection_tags: ConnectionTagsTable;
  posts: PostsTable;
  post_audience_tags: PostAudienceTagsTable;
  post_photos: PostPhotosTable;
  photo_uploads: PhotoUploadsTable;
  digest_deliveries: DigestDeliveriesTable;
  comments: CommentsTable;
  feed_entries: FeedEntriesTable;
  feed_inboxes: FeedInboxesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  ai_usage: AiUsageTable;
  ai_cache: AiCacheTable;
  courses: CoursesTable;
  course_documents: CourseDocumentsTable;
  concepts: ConceptsTable;
  concept_edges: ConceptEdgesTable;
  notifications: NotificationsTable;
  course_search: CourseSearchTable;
  consumed_events: ConsumedEventsTable;
  presentations: PresentationsTable;
}
