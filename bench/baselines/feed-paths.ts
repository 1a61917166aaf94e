/** Where bench/baselines/feed-naive-server.ts serves the N+1 feed page (same query string as the real one). */
export const NAIVE_FEED_PATH = '/api/v1/bench/naive-feed';
