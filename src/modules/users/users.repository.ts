import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { Cursor } from '../../platform/pagination.ts';

export interface UserRow {
  id: string;
  email: string;
  display_name: string;
  password_hash: string | null;
  created_at: Date;
}

export function createUsersRepository(database: Pick<Database, 'executor'>) {
  const q = () => database.executor();
  const userColumns = ['id', 'email', 'display_name', 'password_hash', 'created_at'] as const;

  return {
    /**
     * The user, marking them active when the mark is over an hour old: one statement, and a write at most once an
     * hour per user. The social feed's fan-out skips users whose mark is older than FEED_INACTIVE_AFTER_DAYS.
     */
    async findByIdMarkingActive(id: string): Promise<UserRow | undefined> {
      const { rows } = await sql<UserRow>`
        with marked as (
          update users set last_active_at = now()
          where id = ${id} and last_active_at < now() - interval '1 hour'
        )
        select id, email, display_name, password_hash, created_at from users where id = ${id}`.execute(q());
      return rows[0];
    },

    async markActive(id: string): Promise<void> {
      await q()
        .updateTable('users')
        .set({ last_active_at: sql`now()` })
        .where('id', '=', id)
        .execute();
    },

    findByEmail(email: string) {
      return q().selectFrom('users').select(userColumns).where('email', '=', email).executeTakeFirst();
    },

    /** Undefined when the email is taken (unique index decides, so concurrent sign-ups cannot both win). */
    async insert(user: { id: string; email: string; passwordHash: string; displayName: string }) {
      return q()
        .insertInto('users')
        .values({
          id: user.id,
          email: user.email,
          password_hash: user.passwordHash,
          display_name: user.displayName,
        })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning(userColumns)
        .executeTakeFirst();
    },

    async deleteById(id: string): Promise<boolean> {
      const result = await q().deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    insertRefreshToken(token: {
      id: string;
      userId: string;
      familyId: string;
      tokenHash: string;
      expiresAt: Date;
    }) {
      return q()
        .insertInto('refresh_tokens')
        .values({
          id: token.id,
          user_id: token.userId,
          family_id: token.familyId,
          token_hash: token.tokenHash,
          expires_at: token.expiresAt,
        })
        .execute();
    },

    /**
     * Marks an unused, unrevoked, unexpired refresh token as replaced and returns it; undefined when the
     * token cannot be used. Compare-and-set, so two concurrent refreshes with one token cannot both succeed.
     */
    consumeRefreshToken(tokenHash: string, now: Date) {
      return q()
        .updateTable('refresh_tokens')
        .set({ replaced_at: now })
        .where('token_hash', '=', tokenHash)
        .where('replaced_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returning(['id', 'user_id', 'family_id'])
        .executeTakeFirst();
    },

    findRefreshFamily(tokenHash: string) {
      return q()
        .selectFrom('refresh_tokens')
        .select(['family_id'])
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
    },

    revokeRefreshFamily(familyId: string, now: Date) {
      return q()
        .updateTable('refresh_tokens')
        .set({ revoked_at: now })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .execute();
    },

    async deleteExpiredRefreshTokens(now: Date): Promise<number> {
      const result = await q().deleteFrom('refresh_tokens').where('expires_at', '<', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    insertApiToken(token: { id: string; userId: string; name: string; tokenHash: string }) {
      return q()
        .insertInto('api_tokens')
        .values({ id: token.id, user_id: token.userId, name: token.name, token_hash: token.tokenHash })
        .returning(['id', 'name', 'created_at', 'last_used_at'])
        .executeTakeFirstOrThrow();
    },

    /** The token's user, touching last_used_at at most once a minute to keep reads from becoming writes. */
    async useApiToken(tokenHash: string, now: Date) {
      const row = await q()
        .selectFrom('api_tokens')
        .select(['id', 'user_id', 'last_used_at'])
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (row && (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000)) {
        await q().updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
      }
      return row;
    },

    listApiTokens(userId: string, limit: number, after: Cursor | undefined) {
      let query = q()
        .selectFrom('api_tokens')
        .select(['id', 'name', 'created_at', 'last_used_at'])
        .where('user_id', '=', userId);
      if (after) {
        query = query.where(sql<boolean>`(created_at, id) < (${after.createdAt}, ${after.id})`);
      }
      return query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
    },

    async deleteApiToken(userId: string, id: string): Promise<boolean> {
      const result = await q()
        .deleteFrom('api_tokens')
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
