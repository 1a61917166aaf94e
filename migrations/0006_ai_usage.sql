-- Tokens each user spent on AI calls per UTC day, against AI_DAILY_TOKENS. Only today's row decides; the
-- daily prune drops old days, and deleting a user drops theirs.
create table ai_usage (
  user_id uuid not null references users (id) on delete cascade,
  day date not null,
  tokens bigint not null,
  primary key (user_id, day)
);
create index ai_usage_day_idx on ai_usage (day);
