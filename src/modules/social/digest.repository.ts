import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import { visibleTo } from './visibility.repository.ts';

export interface DigestWindow {
  /** Start of the digest a reader asks for: `since`, else the start of the last delivered digest. */
  since: Date;
  /** Start of the next daily delivery: where the last one ended. */
  nextSince: Date;
  until: Date;
}

export interface DigestAuthorRow {
  author_id: string;
  author_name: string;
  post_count: number;
  comment_count: number;
  latest_at: Date;
  recent_post_ids: string[];
}

export interface DigestPostRow {
  id: string;
  author_id: string;
  author_name: string;
  body: string;
  audience: 'all' | 'tags';
  created_at: Date;
  photo_keys: string[];
  comment_count: number;
  commented: boolean;
}

/** Without a delivery or `since`, a digest covers the last day. */
const DEFAULT_SPAN = sql`interval '1 day'`;
const RECENT_PER_AUTHOR = 5;

/**
 * Digest reads: the window, then one statement for the per-author groups and one for the most commented posts,
 * whatever the number of posts. Both take posts of connections only (not the viewer's own) that the viewer may
 * see now (the one visibility rule), created in (since, until].
 */
export function createDigestRepository(database: Pick<Database, 'executor'>) {
  const db = () => database.executor();
  const inWindow = (viewerId: string, since: Date, until: Date) => sql`
    p.author_id <> ${viewerId} and p.created_at > ${since} and p.created_at <= ${until}
      and ${visibleTo('p', viewerId)}`;

  return {
    async window(viewerId: string, since: Date | undefined): Promise<DigestWindow> {
      const { rows } = await sql<{ since: Date; next_since: Date; until: Date }>`
        select coalesce(${since ?? null}::timestamptz, d.since, now() - ${DEFAULT_SPAN}) as since,
          coalesce(d.delivered_at, now() - ${DEFAULT_SPAN}) as next_since,
          now() as until
        from (select 1) as one
        left join lateral (
          select since, delivered_at from digest_deliveries
          where user_id = ${viewerId} order by day desc limit 1
        ) d on true`.execute(db());
      const row = rows[0]!;
      return { since: row.since, nextSince: row.next_since, until: row.until };
    },

    async authors(viewerId: string, since: Date, until: Date): Promise<DigestAuthorRow[]> {
      const { rows } = await sql<DigestAuthorRow>`
        select p.author_id, u.display_name as author_name, count(*)::int as post_count,
          coalesce(sum(c.n), 0)::int as comment_count, max(p.created_at) as latest_at,
          (array_agg(p.id order by p.created_at desc, p.id desc))[1:${sql.lit(RECENT_PER_AUTHOR)}] as recent_post_ids
        from posts p
        join users u on u.id = p.author_id
        left join lateral (select count(*) as n from comments where post_id = p.id) c on true
        where ${inWindow(viewerId, since, until)}
        group by p.author_id, u.display_name
        order by post_count desc, latest_at desc, p.author_id`.execute(db());
      return rows;
    },

    /** The `limit` posts with the most comments, newest first among equals, with their photos' keys. */
    async topPosts(viewerId: string, since: Date, until: Date, limit: number): Promise<DigestPostRow[]> {
      const { rows } = await sql<DigestPostRow>`
        select p.id, p.author_id, u.display_name as author_name, p.body, p.audience, p.created_at,
          array(select ph.blob_key from post_photos ph where ph.post_id = p.id order by ph.ord) as photo_keys,
          c.n as comment_count, c.mine as commented
        from posts p
        join users u on u.id = p.author_id
        cross join lateral (
          select count(*)::int as n, coalesce(bool_or(author_id = ${viewerId}), false) as mine
          from comments where post_id = p.id
        ) c
        where ${inWindow(viewerId, since, until)}
        order by c.n desc, p.created_at desc, p.id desc
        limit ${limit}`.execute(db());
      return rows;
    },

    /** Users with posts of connections in their feed since `since`: the daily job's recipients, by id. */
    async activeRecipients(since: Date, after: string | undefined, limit: number): Promise<string[]> {
      const { rows } = await sql<{ user_id: string }>`
        select distinct fe.user_id from feed_entries fe
        join posts p on p.id = fe.post_id
        where fe.created_at > ${since} and p.author_id <> fe.user_id
          and fe.user_id > ${after ?? '00000000-0000-0000-0000-000000000000'}
        order by fe.user_id
        limit ${limit}`.execute(db());
      return rows.map((r) => r.user_id);
    },

    /** Records the day's delivery once; false when it was already recorded. */
    async recordDelivery(delivery: { userId: string; day: string; since: Date; postCount: number }) {
      const inserted = await db()
        .insertInto('digest_deliveries')
        .values({
          user_id: delivery.userId,
          day: delivery.day,
          since: delivery.since,
          post_count: delivery.postCount,
        })
        .onConflict((oc) => oc.columns(['user_id', 'day']).doNothing())
        .returning('user_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async delivered(userId: string, day: string): Promise<boolean> {
      const row = await db()
        .selectFrom('digest_deliveries')
        .select('user_id')
        .where('user_id', '=', userId)
        .where('day', '=', day)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}

export type DigestRepository = ReturnType<typeof createDigestRepository>;
