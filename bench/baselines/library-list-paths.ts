/** Where bench/baselines/library-list-server.ts serves the N+1 library page (same query string as the real one). */
export const NAIVE_LIBRARY_PATH = '/api/v1/bench/naive-documents';
