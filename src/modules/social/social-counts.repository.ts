import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';

/** The social gauges (lectern_active_connections, lectern_posts, lectern_users), in one statement per scrape. */
export async function readSocialCounts(database: Pick<Database, 'executor'>) {
  const { rows } = await sql<{ connections: number; posts: number; users: number }>`
    select
      (select count(*)::int from connections where status = 'accepted') / 2 as connections,
      (select count(*)::int from posts) as posts,
      (select count(*)::int from users) as users`.execute(database.executor());
  return rows[0]!;
}
