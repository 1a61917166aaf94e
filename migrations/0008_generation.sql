-- Generation: structured AI outputs cached per owner, courses built from documents, their concept graphs,
-- and what course events leave behind (notifications, a search index, consumed-event marks).

-- Validated model outputs only. Never shared across owners: the owner is part of the key and of the row.
create table ai_cache (
  key text primary key,
  owner_id uuid not null references users (id) on delete cascade,
  task text not null,
  output jsonb not null,
  model text not null,
  usage jsonb,
  created_at timestamptz(3) not null default now(),
  expires_at timestamptz not null
);
create index ai_cache_expires_idx on ai_cache (expires_at);

-- Courses hold no blobs, so deleting the owner may simply cascade.
create table courses (
  id uuid primary key,
  owner_id uuid not null references users (id) on delete cascade,
  title text not null,
  audience text,
  level text check (level in ('beginner', 'intermediate', 'advanced')),
  status text not null default 'queued' check (status in ('queued', 'generating', 'ready', 'failed')),
  -- Grows on regenerate: a job of an older generation skips.
  generation integer not null default 1,
  summary text,
  -- [{title, description, concepts[], citations[{documentId, page, chunkId, quote}]}]
  outline jsonb,
  objectives jsonb,
  engine text check (engine in ('llm', 'extractive')),
  model text,
  notice text,
  -- True when the artifact came from ai_cache, not a new generation.
  cached boolean not null default false,
  -- Where a generated artifact is cached for the owner's identical requests (regenerate replaces it).
  cache_key text not null,
  error text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz not null default now()
);
create index courses_owner_created_idx on courses (owner_id, created_at desc, id desc);

create table course_documents (
  course_id uuid not null references courses (id) on delete cascade,
  document_id uuid not null references documents (id) on delete cascade,
  ord integer not null,
  primary key (course_id, document_id)
);
create index course_documents_document_idx on course_documents (document_id);

-- Nodes: the course itself (the walk's root), its outline sections, and the concepts they contain.
create table concepts (
  id uuid primary key,
  course_id uuid not null references courses (id) on delete cascade,
  name text not null,
  kind text not null check (kind in ('course', 'section', 'concept'))
);
create index concepts_course_idx on concepts (course_id);

create table concept_edges (
  src_id uuid not null references concepts (id) on delete cascade,
  rel text not null check (rel in ('contains', 'relates-to')),
  dst_id uuid not null references concepts (id) on delete cascade,
  primary key (src_id, rel, dst_id)
);
-- The reverse direction: relates-to is walked both ways.
create index concept_edges_reverse_idx on concept_edges (dst_id, rel, src_id);

create table notifications (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  -- The outbox event that caused it: a redelivered event finds its notification already there.
  event_id uuid not null unique,
  kind text not null,
  subject_id uuid,
  title text not null,
  body text not null,
  created_at timestamptz(3) not null default now()
);
create index notifications_user_created_idx on notifications (user_id, created_at desc, id desc);

-- Course text for full-text search, kept in step with the course by the outbox.
create table course_search (
  course_id uuid primary key references courses (id) on delete cascade,
  owner_id uuid not null,
  text text not null,
  tsv tsvector generated always as (to_tsvector('english', text)) stored
);
create index course_search_tsv_idx on course_search using gin (tsv);

-- Events a consumer with a non-idempotent effect (a counter) has already handled.
create table consumed_events (
  consumer text not null,
  event_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (consumer, event_id)
);
create index consumed_events_created_idx on consumed_events (created_at);
