-- Social: mutual connections, audience tags, posts with an audience, comments, and per-recipient feed inboxes.
-- Social rows hold no blobs yet, so they follow their user (deleted through user.deleted) by cascade.

-- A request is one directed row (requester → addressee, 'pending'); an accepted connection is two rows, one
-- per direction; a block is the blocker's row ('blocked') and removes every other row between the two.
create table connections (
  user_id uuid not null references users (id) on delete cascade,
  peer_id uuid not null references users (id) on delete cascade,
  status text not null check (status in ('pending', 'accepted', 'blocked')),
  created_at timestamptz(3) not null default now(),
  primary key (user_id, peer_id),
  constraint connections_not_self check (user_id <> peer_id)
);
create index connections_user_status_idx on connections (user_id, status, created_at desc, peer_id desc);
create index connections_peer_status_idx on connections (peer_id, status, created_at desc, user_id desc);

create table audience_tags (
  id uuid primary key,
  owner_id uuid not null references users (id) on delete cascade,
  name text not null,
  created_at timestamptz(3) not null default now()
);
create unique index audience_tags_owner_name_key on audience_tags (owner_id, lower(name));

-- The owner's labels on a connection; they decide which of the owner's posts the peer sees.
create table connection_tags (
  owner_id uuid not null,
  peer_id uuid not null,
  tag_id uuid not null references audience_tags (id) on delete cascade,
  primary key (owner_id, peer_id, tag_id),
  foreign key (owner_id, peer_id) references connections (user_id, peer_id) on delete cascade
);
create index connection_tags_tag_idx on connection_tags (tag_id);

-- audience 'all': every connection; 'tags': connections holding at least one of post_audience_tags.
create table posts (
  id uuid primary key,
  author_id uuid not null references users (id) on delete cascade,
  body text not null check (char_length(body) between 1 and 5000),
  audience text not null check (audience in ('all', 'tags')),
  created_at timestamptz(3) not null default now()
);
create index posts_author_created_idx on posts (author_id, created_at desc, id desc);

create table post_audience_tags (
  post_id uuid not null references posts (id) on delete cascade,
  tag_id uuid not null references audience_tags (id) on delete cascade,
  primary key (post_id, tag_id)
);
create index post_audience_tags_tag_idx on post_audience_tags (tag_id);

create table post_photos (
  post_id uuid not null references posts (id) on delete cascade,
  blob_key text not null,
  ord smallint not null,
  primary key (post_id, ord)
);

create table comments (
  id uuid primary key,
  post_id uuid not null references posts (id) on delete cascade,
  author_id uuid not null references users (id) on delete cascade,
  body text not null check (char_length(body) between 1 and 2000),
  created_at timestamptz(3) not null default now()
);
create index comments_post_created_idx on comments (post_id, created_at desc, id desc);
create index comments_author_idx on comments (author_id);

-- One row per recipient of a post (author included), written by the fan-out job. Visibility is re-checked
-- on every read, so an entry a lagging job has not removed yet is never shown.
create table feed_entries (
  user_id uuid not null references users (id) on delete cascade,
  post_id uuid not null references posts (id) on delete cascade,
  created_at timestamptz(3) not null,
  primary key (user_id, post_id)
);
create index feed_entries_user_created_idx on feed_entries (user_id, created_at desc, post_id desc);
create index feed_entries_post_idx on feed_entries (post_id);
