const RESOLUTION_MS = 0.01;
const MAX_MS = 10_000; // autocannon's default request timeout; slower samples land in the last bucket

/**
 * Fixed-memory latency histogram (10 µs buckets up to 10 s). autocannon's own result has no p95,
 * so the load loop records every response time here.
 */
export class LatencyHistogram {
  private readonly buckets = new Uint32Array(Math.round(MAX_MS / RESOLUTION_MS) + 1);
  private count = 0;
  private sum = 0;
  private max = 0;

  record(ms: number): void {
    const index = Math.min(this.buckets.length - 1, Math.max(0, Math.round(ms / RESOLUTION_MS)));
    this.buckets[index]!++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** Smallest recorded value (bucketed) such that at least p% of samples are ≤ it. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return i * RESOLUTION_MS;
    }
    return MAX_MS;
  }

  summary(): { samples: number; mean: number; p50: number; p95: number; p99: number; max: number } {
    return {
      samples: this.count,
      mean: this.count === 0 ? 0 : this.sum / this.count,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.max,
    };
  }
}
