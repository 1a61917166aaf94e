-- The library: uploaded documents and stories, their processing state, extracted pages, chunks and summaries.
-- owner_id has no foreign key on purpose: deleting a user publishes user.deleted, whose consumer removes the
-- documents together with their blobs (a cascade would lose the blob keys).
create table documents (
  id uuid primary key,
  owner_id uuid not null,
  kind text not null check (kind in ('document', 'story')),
  title text not null,
  -- The client's file name: metadata only, never a path or a key.
  file_name text,
  mime text not null,
  byte_size bigint not null,
  sha256 text not null,
  blob_key text not null,
  status text not null default 'queued'
    check (status in ('queued', 'extracting', 'embedding', 'summarizing', 'ready', 'failed')),
  -- 0..1 within the current status.
  stage_progress real not null default 0,
  error text,
  -- Grows on reprocess and whenever the sweep revives stalled work: a job of an older generation skips.
  generation integer not null default 1,
  heartbeat_at timestamptz not null default now(),
  page_count integer,
  pages_done integer not null default 0,
  chunk_count integer,
  embedding text check (embedding in ('done', 'skipped')),
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz not null default now()
);
create unique index documents_owner_sha256_key on documents (owner_id, sha256);
create index documents_owner_created_idx on documents (owner_id, created_at desc, id desc);
create index documents_active_heartbeat_idx on documents (heartbeat_at)
  where status in ('queued', 'extracting', 'embedding', 'summarizing');

create table document_tags (
  document_id uuid not null references documents (id) on delete cascade,
  tag text not null,
  primary key (document_id, tag)
);
create index document_tags_tag_idx on document_tags (tag);

-- Bytes stored per owner, moved by compare-and-set so concurrent uploads cannot overshoot the quota together.
create table storage_usage (
  owner_id uuid primary key,
  bytes bigint not null check (bytes >= 0)
);

-- Extracted text per page, written by page-range jobs and consumed by the chunk stage.
create table document_pages (
  document_id uuid not null references documents (id) on delete cascade,
  page integer not null,
  text text not null,
  primary key (document_id, page)
);

create table chunks (
  id uuid primary key,
  document_id uuid not null references documents (id) on delete cascade,
  ord integer not null,
  page_from integer not null,
  page_to integer not null,
  char_start integer not null,
  char_end integer not null,
  text text not null,
  text_sha256 text not null,
  tsv tsvector generated always as (to_tsvector('english', text)) stored
);
create unique index chunks_document_ord_key on chunks (document_id, ord);
create index chunks_text_sha256_idx on chunks (text_sha256);
create index chunks_tsv_idx on chunks using gin (tsv);

create table summaries (
  document_id uuid not null references documents (id) on delete cascade,
  kind text not null,
  text text not null,
  model text not null,
  method text not null check (method in ('extractive', 'llm')),
  note text,
  -- sha256 of (prompt version, model, document text): an unchanged input is not summarised twice.
  input_sha256 text not null,
  created_at timestamptz not null default now(),
  primary key (document_id, kind)
);
