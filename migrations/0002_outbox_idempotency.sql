-- Side effects after a commit are events written in the same transaction, relayed to each consumer with its own
-- retries (at-least-once; consumers are idempotent by event id).
create table outbox_events (
  id uuid primary key,
  type text not null,
  aggregate_id text,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
create index outbox_events_created_idx on outbox_events (created_at);

create table outbox_deliveries (
  event_id uuid not null references outbox_events (id) on delete cascade,
  consumer text not null,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  delivered_at timestamptz,
  last_error text,
  primary key (event_id, consumer)
);
create index outbox_deliveries_due_idx on outbox_deliveries (next_attempt_at) where delivered_at is null;

-- Idempotency-Key for creating POSTs (draft-ietf-httpapi-idempotency-key-header), scoped per user.
create table idempotency_keys (
  user_id uuid not null references users (id) on delete cascade,
  key text not null,
  request_hash text not null,
  status text not null check (status in ('in_flight', 'done')),
  response_status integer,
  response_body jsonb,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);
