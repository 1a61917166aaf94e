import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../../src/modules/realtime/token-bucket.ts';

describe('token bucket (WebSocket inbound message allowance)', () => {
  it('allows the burst at once, then refills at the rate, never above the burst', () => {
    let now = 0;
    const bucket = createTokenBucket({ perSecond: 2, burst: 3, now: () => now });
    const takeAll = () => {
      let taken = 0;
      while (bucket.take()) taken++;
      return taken;
    };
    expect(takeAll()).toBe(3);
    now += 499;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(takeAll()).toBe(1);
    now += 60_000;
    expect(takeAll()).toBe(3);
  });
});
