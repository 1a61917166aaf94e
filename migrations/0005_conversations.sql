-- RAG chat: conversations scoped to documents (a story chat is scoped to one story) and their messages.
create table conversations (
  id uuid primary key,
  owner_id uuid not null references users (id) on delete cascade,
  title text,
  -- {documentIds?, tags?, kind?}: which of the owner's documents retrieval may use.
  scope jsonb not null,
  created_at timestamptz(3) not null default now()
);
create index conversations_owner_created_idx on conversations (owner_id, created_at desc, id desc);

create table messages (
  id uuid primary key,
  conversation_id uuid not null references conversations (id) on delete cascade,
  role text not null check (role in ('user', 'assistant')),
  content text not null,
  -- [{marker, documentId, title, page, chunkId, quote}]
  citations jsonb not null default '[]',
  -- interrupted: the answer was cut short (shutdown, client gone) and holds what was generated.
  status text not null default 'complete' check (status in ('complete', 'interrupted')),
  engine text check (engine in ('llm', 'extractive')),
  model text,
  notice text,
  created_at timestamptz(3) not null default now()
);
create index messages_conversation_created_idx on messages (conversation_id, created_at desc, id desc);

-- Where each page after the first begins inside a chunk's text (offsets), so a quote can name its own page.
alter table chunks add column page_breaks integer[] not null default '{}';
