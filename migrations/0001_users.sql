-- Accounts, API tokens for scripts, and rotating refresh-token families.
create table users (
  id uuid primary key,
  email text not null,
  password_hash text,
  display_name text not null,
  provider text not null default 'local',
  provider_id text,
  created_at timestamptz not null default now(),
  constraint users_email_lowercase check (email = lower(email))
);
create unique index users_email_key on users (email);
create unique index users_provider_key on users (provider, provider_id) where provider_id is not null;

create table api_tokens (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  token_hash text not null,
  name text not null,
  last_used_at timestamptz,
  created_at timestamptz not null default now()
);
create unique index api_tokens_hash_key on api_tokens (token_hash);
create index api_tokens_user_idx on api_tokens (user_id, created_at desc, id desc);

create table refresh_tokens (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  family_id uuid not null,
  token_hash text not null,
  expires_at timestamptz not null,
  replaced_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now()
);
create unique index refresh_tokens_hash_key on refresh_tokens (token_hash);
create index refresh_tokens_family_idx on refresh_tokens (family_id);
create index refresh_tokens_user_idx on refresh_tokens (user_id);
