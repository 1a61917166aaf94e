-- Presentations: one row per deck, its slides in one JSONB array. A deck is read, cached and served whole, a
-- slide is only ever addressed by its position within its deck, and a slide regenerate rewrites the array
-- under the deck's generation check; no query looks inside slides. A slides table would add a join and a
-- second write path for no query that needs it.
create table presentations (
  id uuid primary key,
  -- Decks hold no blobs, so deleting the owner may simply cascade.
  owner_id uuid not null references users (id) on delete cascade,
  title text not null,
  prompt text not null,
  num_cards integer not null check (num_cards between 1 and 30),
  style text not null,
  template_id text not null,
  theme_id text not null,
  -- The owner's documents it was built from, in request order. Not foreign keys: a finished deck keeps its
  -- content (and citations) when a document is deleted later.
  document_ids jsonb not null,
  -- True for the explicit model-only option: no extractive fallback.
  ai_only boolean not null default false,
  status text not null default 'queued' check (status in ('queued', 'generating', 'ready', 'failed')),
  -- Grows on each slide regenerate: a job of an older generation skips.
  generation integer not null default 1,
  -- [{title, layout, intent}] from the model's outline call; null when the local engine builds the deck.
  outline jsonb,
  -- [{title, layout, intent, content, imageQuery, citations[]}]; null until ready.
  slides jsonb,
  engine text check (engine in ('llm', 'extractive')),
  model text,
  -- Built extractively because the model failed or was too slow.
  degraded boolean not null default false,
  notice text,
  -- True when the slides came from ai_cache, not a new generation.
  cached boolean not null default false,
  cache_key text not null,
  error text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz not null default now()
);
create index presentations_owner_created_idx on presentations (owner_id, created_at desc, id desc);
