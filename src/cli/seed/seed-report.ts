import type { BulkOutcome } from './seed-bulk.ts';

/** Seconds each part of a seed took (the benchmarks report the cold seed time). */
export interface Took {
  bulk: BulkOutcome['seconds'];
  library: number;
  social: number;
  course: number;
  all: number;
}

export function bulkLine(bulk: BulkOutcome): string {
  const { planned: p, created: c } = bulk;
  return (
    `Bulk corpus: ${p.documents} documents (${c.documents} new), ${p.chunks} chunks (${c.chunks} new), ` +
    (bulk.vectorSearch ? `${c.vectors} vectors embedded` : 'no vectors (vector search is off)') +
    (bulk.rebuiltIndexes ? '; chunk indexes built after loading.' : '.')
  );
}

export function tookLine(took: Took): string {
  const { load, indexes } = took.bulk;
  return (
    `Took ${took.all} s: bulk corpus ${(load + indexes).toFixed(1)} s (load ${load} s, indexes ${indexes} s), ` +
    `library ${took.library} s, social graph ${took.social} s, course graph ${took.course} s.`
  );
}
