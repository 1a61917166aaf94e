import { AppError } from '../../platform/errors.ts';
import type { AiUsageRepository } from './ai-usage.repository.ts';

export interface AiUsageStatus {
  limit: number;
  used: number;
  remaining: number;
  /** The next UTC midnight, ISO 8601. */
  resetsAt: string;
}

/** Each user's daily AI token budget (AI_DAILY_TOKENS), counted per UTC day. */
export interface TokenBudget {
  /** Throws AppError 429 AI_BUDGET_EXCEEDED (Retry-After: seconds to the next UTC midnight) once the user has spent today's tokens. */
  assertAvailable(userId: string): Promise<void>;
  /** Adds spent tokens to the user's day (UTC). */
  charge(userId: string, tokens: number): Promise<void>;
  /** { limit, used, remaining, resetsAt } for today. */
  status(userId: string): Promise<AiUsageStatus>;
}

const DAY_MS = 24 * 3600 * 1000;

export interface TokenBudgetDeps {
  usage: AiUsageRepository;
  /** Tokens per user and UTC day; 0 allows no model calls at all. */
  dailyTokens: number;
  now?: () => Date;
}

/**
 * A call is allowed while the day's spend is below the limit, so the call that crosses it still finishes
 * (its size is unknown until it is answered) and the next one is refused.
 */
export function createTokenBudget(deps: TokenBudgetDeps): TokenBudget {
  const { usage, dailyTokens: limit, now = () => new Date() } = deps;
  // Charges are recorded after the answer, often without being awaited: reads in this process wait for the
  // user's charges in flight, so a user's next request sees what the previous one spent.
  const inFlight = new Map<string, Set<Promise<void>>>();

  const today = () => {
    const start = Math.floor(now().getTime() / DAY_MS) * DAY_MS;
    return { day: new Date(start).toISOString().slice(0, 10), resetsAt: new Date(start + DAY_MS) };
  };

  const used = async (userId: string, day: string) => {
    const pending = inFlight.get(userId);
    if (pending) await Promise.allSettled(pending);
    return usage.tokensOn(userId, day);
  };

  return {
    async assertAvailable(userId) {
      // A budget of 0 does not come back at midnight, so there is no Retry-After to give.
      if (limit === 0) {
        throw new AppError('AI_BUDGET_EXCEEDED', 429, 'AI model calls are turned off on this deployment.');
      }
      const { day, resetsAt } = today();
      if ((await used(userId, day)) < limit) return;
      const seconds = Math.max(1, Math.ceil((resetsAt.getTime() - now().getTime()) / 1000));
      throw new AppError(
        'AI_BUDGET_EXCEEDED',
        429,
        `You have used today's ${limit} AI tokens; the budget resets at ${resetsAt.toISOString()}.`,
        { headers: { 'retry-after': String(seconds) } },
      );
    },

    async charge(userId, tokens) {
      if (!(tokens > 0)) return;
      const charging = usage.add(userId, today().day, Math.ceil(tokens));
      const pending = inFlight.get(userId) ?? new Set();
      inFlight.set(userId, pending.add(charging));
      try {
        await charging;
      } finally {
        pending.delete(charging);
        if (pending.size === 0) inFlight.delete(userId);
      }
    },

    async status(userId) {
      const { day, resetsAt } = today();
      const spent = await used(userId, day);
      return { limit, used: spent, remaining: Math.max(0, limit - spent), resetsAt: resetsAt.toISOString() };
    },
  };
}

/** Only today's row decides; older days are kept this long for operators' questions. */
const KEEP_DAYS = 7;

/** Maintenance: drops days older than KEEP_DAYS; returns how many rows went. */
export function pruneAiUsage(usage: AiUsageRepository, now = new Date()): Promise<number> {
  const oldest = new Date(now.getTime() - KEEP_DAYS * DAY_MS).toISOString().slice(0, 10);
  return usage.deleteBefore(oldest);
}
