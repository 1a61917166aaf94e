import { atlasCourseId, COURSE_SPECS } from '../../src/cli/seed/course-plan.ts';
import { FEED_DATASET } from './feed.ts';
import { signInSeeded } from './library-session.ts';
import { defineScenario, type ScenarioContext } from './scenario.ts';

const OWNER = 1;
const WALK_PATH = `/api/v1/courses/${atlasCourseId(`demo${OWNER}@example.com`)}/concepts?depth=3&limit=100`;
const { edges, concepts } = COURSE_SPECS.medium;

interface Walk {
  items: { depth: number }[];
  truncated: boolean;
}

/**
 * The seeded `medium` concept atlas of demo1 (src/cli/seed/course-plan.ts): 12 sections, 72 key concepts at depth
 * 2, and hub concepts whose links the third level reads, so the walk reaches depth 3 before the 100-node cap.
 */
const WALK =
  `GET ${WALK_PATH.replace(/courses\/[^/]+/, 'courses/:id')} as demo${OWNER}: a breadth-first walk of a course ` +
  `graph with ${concepts.toLocaleString('en')} concepts and ${edges.toLocaleString('en')} edges (hubs, cycles), ` +
  'one statement per level, capped at 100 nodes';

/** Walks are cached per graph version (the graph changes only with the course's status). */
export const conceptWalk = defineScenario({
  name: 'concept-walk',
  description: `${WALK}; repeated walks come from the cache.`,
  server: { kind: 'lectern', dataset: FEED_DATASET },
  setup: walkSetup,
});

/** The walk itself, one client at a time: on the embedded engine walks queue on its one session. */
export const conceptWalkUncached = defineScenario({
  name: 'concept-walk-uncached',
  description: `${WALK}; CACHE=off, 1 connection.`,
  server: { kind: 'lectern', dataset: FEED_DATASET, env: { CACHE: 'off' } },
  connections: 1,
  setup: walkSetup,
});

async function walkSetup({ baseUrl, signal }: ScenarioContext) {
  const headers = await signInSeeded(baseUrl, signal, OWNER);
  const response = await fetch(baseUrl + WALK_PATH, { headers, signal });
  if (response.status !== 200)
    throw new Error(`the walk returned ${response.status}: ${await response.text()}`);
  const walk = (await response.json()) as Walk;
  const perDepth = [1, 2, 3].map((d) => walk.items.filter((i) => i.depth === d).length);
  // A walk that stops short of depth 3 would measure a cheaper query than the one named.
  if (perDepth[2] === 0)
    throw new Error(`the walk never reached depth 3: ${perDepth.join('/')} nodes per depth`);
  console.log(
    `concept-walk: ${perDepth.join(' + ')} nodes at depths 1, 2, 3` + (walk.truncated ? ' (capped)' : ''),
  );
  return { path: WALK_PATH, headers };
}
