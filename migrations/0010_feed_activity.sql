-- Feed inboxes of inactive users: fan-out skips users inactive for FEED_INACTIVE_AFTER_DAYS, and an inbox that
-- does not hold every post (a backfill cut at FEED_BACKFILL, or a user fan-out skipped) says from where down the
-- feed is read from posts instead.

-- Marked at most once an hour per user, when the user's authentication is looked up in SQL.
alter table users add column last_active_at timestamptz(3) not null default now();

-- One row per user whose inbox is incomplete (no row: the inbox holds every post the user may see). The inbox
-- holds every visible post after (complete_after_at, complete_after_id); posts at or before it are read by the
-- pull query. 'infinity' means fan-out skipped the user: everything is pulled until the inbox is rebuilt.
create table feed_inboxes (
  user_id uuid primary key references users (id) on delete cascade,
  complete_after_at timestamptz(3) not null,
  complete_after_id uuid not null
);
