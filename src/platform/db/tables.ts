import type { ColumnType, Generated } from 'kysely';

// Row types of every table, as Kysely sees them. Migrations in migrations/ are the source of truth.

type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface UsersTable {
  id: string;
  email: string;
  password_hash: string | null;
  display_name: string;
  provider: Generated<string>;
  provider_id: string | null;
  created_at: CreatedAt;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  token_hash: string;
  name: string;
  last_used_at: Date | null;
  created_at: CreatedAt;
}

export interface RefreshTokensTable {
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  expires_at: Date;
  replaced_at: Date | null;
  revoked_at: Date | null;
  created_at: CreatedAt;
}

export interface OutboxEventsTable {
  id: string;
  type: string;
  aggregate_id: string | null;
  payload: ColumnType<unknown, string, string>;
  created_at: CreatedAt;
}

export interface OutboxDeliveriesTable {
  event_id: string;
  consumer: string;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  delivered_at: Date | null;
  last_error: string | null;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  request_hash: string;
  status: 'in_flight' | 'done';
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null>;
  /** Renewed when a retry takes over a key whose request died (see idempotency.repository). */
  created_at: ColumnType<Date, Date | undefined, Date>;
}

export interface Tables {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  refresh_tokens: RefreshTokensTable;
  outbox_events: OutboxEventsTable;
  outbox_deliveries: OutboxDeliveriesTable;
  idempotency_keys: IdempotencyKeysTable;
}
