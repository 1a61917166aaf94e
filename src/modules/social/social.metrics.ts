/** The social app's own series (DESIGN §9), recorded by the routes; prom-client counters and histograms fit. */
export interface SocialMetrics {
  feedRequests: { inc(): void };
  feedLatency: { observe(seconds: number): void };
  digestRequests: { inc(): void };
  digestLatency: { observe(seconds: number): void };
  postCreations: { inc(): void };
  postCreationLatency: { observe(seconds: number): void };
  postDeletions: { inc(): void };
  connectionRequests: { inc(): void };
  connectionAccepts: { inc(): void };
}

export const secondsSince = (started: number) => (performance.now() - started) / 1000;
