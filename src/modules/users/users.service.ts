import { uuidv7 } from 'uuidv7';
import { AppError } from '../../platform/errors.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import type { FailureLimiter } from '../../platform/rate-limit/failure-limiter.ts';
import { DECOY_HASH, hashPassword, verifyPassword } from './passwords.ts';
import { API_TOKEN_PREFIX, newApiToken, newRefreshToken, sha256, type AccessTokens } from './tokens.ts';
import type { UserRow, UsersRepository } from './users.repository.ts';

/** Who is calling: what every other module receives after authentication. */
export interface Actor {
  id: string;
  email: string;
  displayName: string;
  createdAt: Date;
  isAdmin: boolean;
}

/** Events this module publishes through the outbox. */
export type UserEvents = {
  'user.deleted': { userId: string; email: string };
};

/** The cached form of a user (JSON: dates as ISO strings); `null` caches "no such user". */
type CachedUser = { id: string; email: string; displayName: string; createdAt: string } | null;

export interface UsersServiceDeps {
  users: UsersRepository;
  cache: Pick<Cache, 'getOrSet' | 'delete'>;
  transaction: <T>(work: () => Promise<T>) => Promise<T>;
  publish: <T extends keyof UserEvents>(
    type: T,
    aggregateId: string,
    payload: UserEvents[T],
  ) => Promise<void>;
  accessTokens: AccessTokens;
  loginLimiter: FailureLimiter;
  refreshTokenTtlSeconds: number;
  adminEmails: ReadonlySet<string>;
  now?: () => Date;
}

const unauthenticated = () =>
  new AppError('AUTH_UNAUTHENTICATED', 401, 'Missing or invalid credentials.', {
    headers: { 'www-authenticate': 'Bearer' },
  });

export function createUsersService(deps: UsersServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const { users } = deps;

  async function issueTokens(userId: string, familyId = uuidv7()) {
    const refreshToken = newRefreshToken();
    await users.insertRefreshToken({
      id: uuidv7(),
      userId,
      familyId,
      tokenHash: sha256(refreshToken),
      expiresAt: new Date(now().getTime() + deps.refreshTokenTtlSeconds * 1000),
    });
    return {
      accessToken: deps.accessTokens.sign(userId),
      refreshToken,
      tokenType: 'Bearer' as const,
      expiresIn: deps.accessTokens.ttlSeconds,
    };
  }

  /**
   * Every authenticated request resolves its user: from the `user` cache namespace (1 h), else SQL — which also
   * marks the user active, so activity costs no statement of its own.
   */
  async function cachedUser(id: string): Promise<CachedUser> {
    return deps.cache.getOrSet('user', id, async () => {
      const row = await users.findByIdMarkingActive(id);
      return row
        ? {
            id: row.id,
            email: row.email,
            displayName: row.display_name,
            createdAt: row.created_at.toISOString(),
          }
        : null;
    });
  }

  function toActor(user: UserRow): Actor {
    return {
      id: user.id,
      email: user.email,
      displayName: user.display_name,
      createdAt: user.created_at,
      isAdmin: deps.adminEmails.has(user.email),
    };
  }

  return {
    async register(input: { email: string; password: string; displayName?: string | undefined }) {
      const email = input.email.trim().toLowerCase();
      const passwordHash = await hashPassword(input.password);
      return deps.transaction(async () => {
        const user = await users.insert({
          id: uuidv7(),
          email,
          passwordHash,
          displayName: input.displayName?.trim() || email.split('@')[0]!,
        });
        if (!user) throw new AppError('USER_EMAIL_TAKEN', 409, 'An account with this email already exists.');
        return { user: toActor(user), tokens: await issueTokens(user.id) };
      });
    },

    async login(input: { email: string; password: string; ip: string }) {
      const email = input.email.trim().toLowerCase();
      const key = `${email}|${input.ip}`;
      const blockedFor = await deps.loginLimiter.retryAfterSeconds(key);
      if (blockedFor > 0) throw loginLocked(blockedFor);

      const user = await users.findByEmail(email);
      const valid = await verifyPassword(input.password, user?.password_hash ?? DECOY_HASH);
      if (!user || !valid) {
        const lockedFor = await deps.loginLimiter.recordFailure(key);
        if (lockedFor > 0) throw loginLocked(lockedFor);
        throw new AppError('AUTH_INVALID_CREDENTIALS', 401, 'Email or password is wrong.');
      }
      await deps.loginLimiter.reset(key);
      return { user: toActor(user), tokens: await issueTokens(user.id) };
    },

    /** Rotates a refresh token. Presenting one that was already rotated revokes its whole family. */
    async refresh(refreshToken: string) {
      const tokenHash = sha256(refreshToken);
      const at = now();
      const outcome = await deps.transaction(async () => {
        const consumed = await users.consumeRefreshToken(tokenHash, at);
        if (consumed) return { tokens: await issueTokens(consumed.user_id, consumed.family_id) };
        const known = await users.findRefreshFamily(tokenHash);
        if (known) await users.revokeRefreshFamily(known.family_id, at);
        return { tokens: undefined };
      });
      if (!outcome.tokens) {
        throw new AppError(
          'AUTH_REFRESH_INVALID',
          401,
          'The refresh token is invalid, expired or already used.',
        );
      }
      return outcome.tokens;
    },

    /** Resolves a bearer credential (JWT access token or API token) to its user; 401 otherwise. */
    async authenticate(bearer: string): Promise<Actor> {
      const userId = bearer.startsWith(API_TOKEN_PREFIX)
        ? (await users.useApiToken(sha256(bearer), now()))?.user_id
        : deps.accessTokens.verify(bearer);
      const user = userId ? await cachedUser(userId) : null;
      if (!user) throw unauthenticated();
      return {
        id: user.id,
        email: user.email,
        displayName: user.displayName,
        createdAt: new Date(user.createdAt),
        isAdmin: deps.adminEmails.has(user.email),
      };
    },

    /** Deletes the account; what it owns elsewhere (blobs, vectors, feeds) is cleaned up by `user.deleted` consumers. */
    async deleteMe(actor: Actor): Promise<void> {
      await deps.transaction(async () => {
        if (!(await users.deleteById(actor.id))) throw unauthenticated();
        await deps.publish('user.deleted', actor.id, { userId: actor.id, email: actor.email });
      });
      // Other processes drop their copy via the cache bus; their memory tier keeps it at most 5 s (DESIGN §8).
      // Best effort now; the userCache outbox consumer retries until Redis has it too.
      await deps.cache.delete('user', actor.id).catch(() => undefined);
    },

    /** Marks the user active now (a user returning to a feed that fan-out skipped while they were away). */
    markActive: (userId: string) => users.markActive(userId),

    /** Maintenance: refresh tokens past expiry are useless, even as evidence of reuse. */
    pruneExpiredSessions: () => users.deleteExpiredRefreshTokens(now()),

    async createApiToken(actor: Actor, name: string) {
      const token = newApiToken();
      const row = await users.insertApiToken({
        id: uuidv7(),
        userId: actor.id,
        name: name.trim(),
        tokenHash: sha256(token),
      });
      return { ...row, token };
    },

    async listApiTokens(actor: Actor, page: { limit: number; cursor?: string | undefined }) {
      const rows = await users.listApiTokens(actor.id, page.limit, decodeCursor(page.cursor));
      return toPage(rows, page.limit);
    },

    async deleteApiToken(actor: Actor, id: string): Promise<void> {
      if (!(await users.deleteApiToken(actor.id, id))) {
        throw new AppError('TOKEN_NOT_FOUND', 404, 'No such API token.');
      }
    },

    requireAdmin(actor: Actor): void {
      if (!actor.isAdmin) throw new AppError('AUTH_FORBIDDEN', 403, 'This route needs the admin role.');
    },
  };
}

function loginLocked(seconds: number) {
  return new AppError('AUTH_LOGIN_LOCKED', 429, `Too many failed logins; try again in ${seconds} s.`, {
    headers: { 'retry-after': String(seconds) },
  });
}

export type UsersService = ReturnType<typeof createUsersService>;
