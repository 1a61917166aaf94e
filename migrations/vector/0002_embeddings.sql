-- One embedding space per (model, dimensions); exactly one is active. Each space gets its own HNSW expression
-- index, created by platform/db when the space is created (DESIGN §5).
create table embedding_spaces (
  id serial primary key,
  model text not null,
  dims integer not null check (dims > 0),
  active boolean not null default false,
  created_at timestamptz not null default now()
);
create unique index embedding_spaces_model_key on embedding_spaces (model, dims);
create unique index embedding_spaces_one_active on embedding_spaces (active) where active;

-- A passage has one vector, or one per window when the embedder scores passages by their best window.
create table chunk_embeddings (
  chunk_id uuid not null references chunks (id) on delete cascade,
  space_id integer not null references embedding_spaces (id) on delete cascade,
  window_ord integer not null default 0,
  embedding vector not null,
  primary key (chunk_id, space_id, window_ord)
);
create index chunk_embeddings_space_idx on chunk_embeddings (space_id);
