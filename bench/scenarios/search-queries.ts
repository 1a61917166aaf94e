import { TOPICS } from '../../src/cli/seed/topics.ts';

/**
 * Queries over the seeded corpus, in the words its documents are written in ("prunes frosty rose", "tracks
 * distant comet"): verb, adjective and noun of one topic, topics taking turns. Every seeded user's library
 * covers every topic, so each query has text and vector hits.
 */
export function seededQuery(i: number): string {
  const topic = TOPICS[i % TOPICS.length]!;
  const j = Math.floor(i / TOPICS.length);
  const noun = topic.nouns[j % topic.nouns.length]!;
  const verb = topic.verbs[Math.floor(j / topic.nouns.length) % topic.verbs.length]!;
  const adjective =
    topic.adjectives[Math.floor(j / (topic.nouns.length * topic.verbs.length)) % topic.adjectives.length]!;
  return `${verb} ${adjective} ${noun}`;
}

/** How many distinct queries `seededQuery` makes before it repeats. */
export const DISTINCT_QUERIES =
  TOPICS.reduce(
    (smallest, t) => Math.min(smallest, t.nouns.length * t.verbs.length * t.adjectives.length),
    Infinity,
  ) * TOPICS.length;
