/** An allowance of `burst` actions at once, refilled at `perSecond` (the classic token bucket). */
export function createTokenBucket(options: { perSecond: number; burst: number; now?: () => number }) {
  const now = options.now ?? (() => performance.now());
  let tokens = options.burst;
  let last = now();
  return {
    /** Spends one token; false when none is left. */
    take(): boolean {
      const at = now();
      tokens = Math.min(options.burst, tokens + ((at - last) / 1000) * options.perSecond);
      last = at;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
