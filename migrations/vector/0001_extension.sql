-- pgvector; embedding tables and their per-space HNSW indexes build on it.
create extension if not exists vector;
