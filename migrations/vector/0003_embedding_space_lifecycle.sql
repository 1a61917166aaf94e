-- Switching the embedding model without downtime (DESIGN §5). A new space is `building` while a background job
-- re-embeds every chunk into it (keyset over chunk ids: `reembed_cursor`, `embedded_chunks`); one transaction
-- makes it `active` and the space it replaces `retired`. A retired or `failed` space keeps its rows only until its
-- vectors and HNSW index are dropped, then its row goes too.
alter table embedding_spaces
  add column state text not null default 'building'
    check (state in ('building', 'active', 'retired', 'failed')),
  add column error text,
  add column reembed_cursor uuid,
  add column embedded_chunks integer not null default 0 check (embedded_chunks >= 0),
  add column activated_at timestamptz,
  add column retired_at timestamptz;

-- Spaces from before: the active one stays; any other was never searched and is dropped like a retired one.
update embedding_spaces
set state = case when active then 'active' else 'retired' end,
  activated_at = case when active then created_at end,
  retired_at = case when active then null else now() end;

-- `active` stays readable (and keeps its one-active index), derived from the state.
alter table embedding_spaces drop column active;
alter table embedding_spaces add column active boolean generated always as (state = 'active') stored;
create unique index embedding_spaces_one_active on embedding_spaces (active) where active;
create unique index embedding_spaces_one_building on embedding_spaces ((true)) where state = 'building';

-- A model may come back after it was retired: only live spaces are unique per (model, dimensions).
drop index embedding_spaces_model_key;
create unique index embedding_spaces_model_key on embedding_spaces (model, dims)
  where state in ('building', 'active');
