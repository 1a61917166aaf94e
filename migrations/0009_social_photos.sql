-- Photo upload slots, and the record of daily digest deliveries.

-- One row per photo blob the server handed out a key for: who may use it, what was declared, until when the
-- slot may be taken, and the post that took it. No foreign keys on purpose: the row outlives its post and its
-- owner until the `post.deleted` / `user.deleted` consumers have deleted the blob it names.
create table photo_uploads (
  blob_key text primary key,
  owner_id uuid not null,
  content_type text not null,
  max_bytes integer not null check (max_bytes > 0),
  expires_at timestamptz(3) not null,
  post_id uuid,
  created_at timestamptz(3) not null default now()
);
create index photo_uploads_owner_idx on photo_uploads (owner_id);
create index photo_uploads_post_idx on photo_uploads (post_id) where post_id is not null;

-- A user's digest for a day is delivered once, whichever process or retry of the daily job gets there first.
create table digest_deliveries (
  user_id uuid not null references users (id) on delete cascade,
  day date not null,
  since timestamptz(3) not null,
  post_count integer not null,
  delivered_at timestamptz(3) not null default now(),
  primary key (user_id, day)
);
