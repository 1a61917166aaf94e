import type { Scale } from './seed-plan.ts';
import { prng, seedUuid } from './social-plan.ts';
import { TOPICS } from './topics.ts';

/**
 * The concept graph of the seeded "concept atlas" course, sized for the depth-3 walk benchmark: the course
 * contains its sections, each section a few key concepts, and every other concept hangs under an earlier one
 * (`contains`, a tree); `relates-to` edges then link concepts until the graph has `edges` edges. Parents and
 * related concepts are mostly (four times in five) picked in proportion to the links a concept already has, so
 * some concepts become hubs with a hundred edges or more (about 200 at `medium`); `relates-to` links close cycles everywhere.
 */
interface CourseSpec {
  /** At most 12, the outline's limit. */
  sections: number;
  /** Key concepts per section (listed in the outline, at most 6); the walk meets them at depth 2. */
  keyConcepts: number;
  concepts: number;
  edges: number;
}

export const COURSE_SPECS: Record<Scale, CourseSpec> = {
  small: { sections: 4, keyConcepts: 4, concepts: 1_000, edges: 5_000 },
  medium: { sections: 12, keyConcepts: 6, concepts: 20_000, edges: 100_000 },
  large: { sections: 12, keyConcepts: 6, concepts: 60_000, edges: 300_000 },
};

export const ATLAS_TITLE = 'Concept atlas';

export interface CourseNode {
  id: string;
  name: string;
  kind: 'course' | 'section' | 'concept';
}

export interface CourseEdge {
  srcId: string;
  rel: 'contains' | 'relates-to';
  dstId: string;
}

export interface CoursePlan {
  id: string;
  title: string;
  summary: string;
  outline: { title: string; description: string; concepts: string[]; citations: never[] }[];
  objectives: string[];
  nodes: CourseNode[];
  edges: CourseEdge[];
}

/** The atlas course's id for a demo account: stable, so benchmarks and a second seed find it. */
export function atlasCourseId(ownerEmail: string): string {
  return seedUuid(`course:${ownerEmail}:atlas`);
}

/** The same plan every time for the same scale and owner. */
export function coursePlan(scale: Scale, ownerEmail: string): CoursePlan {
  const spec = COURSE_SPECS[scale];
  const random = prng(0xc0de + spec.concepts);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const id = atlasCourseId(ownerEmail);
  const node = (key: string, name: string, kind: CourseNode['kind']): CourseNode => ({
    id: seedUuid(`concept:${id}:${key}`),
    name,
    kind,
  });

  const root = node('root', ATLAS_TITLE, 'course');
  const sections = Array.from({ length: spec.sections }, (_, s) => {
    const topic = TOPICS[s % TOPICS.length]!;
    return node(`section:${s}`, `${topic.subject}: part ${Math.floor(s / TOPICS.length) + 1}`, 'section');
  });
  const concepts = Array.from({ length: spec.concepts }, (_, c) => {
    const topic = pick(TOPICS);
    const adjective = pick(topic.adjectives);
    const name = `${adjective[0]!.toUpperCase()}${adjective.slice(1)} ${pick(topic.nouns)} ${c + 1}`;
    return node(`concept:${c}`, name, 'concept');
  });

  const edges = new Map<string, CourseEdge>();
  /** Concept indexes, once per edge end: picking from it favours concepts with many links. */
  const ends: number[] = [];
  const link = (src: CourseNode, rel: CourseEdge['rel'], dst: CourseNode) => {
    const key = `${src.id} ${rel} ${dst.id}`;
    if (src.id === dst.id || edges.has(key)) return false;
    edges.set(key, { srcId: src.id, rel, dstId: dst.id });
    return true;
  };
  const earlier = (below: number) =>
    random() < 0.8 && ends.length > 0
      ? ends[Math.floor(random() * ends.length)]!
      : Math.floor(random() * below);

  const keys = spec.sections * spec.keyConcepts;
  for (const [s, section] of sections.entries()) {
    link(root, 'contains', section);
    for (let k = 0; k < spec.keyConcepts; k++) link(section, 'contains', concepts[s * spec.keyConcepts + k]!);
  }
  for (let c = keys; c < concepts.length; c++) {
    const parent = earlier(c);
    link(concepts[parent]!, 'contains', concepts[c]!);
    ends.push(parent, c);
  }
  while (edges.size < spec.edges) {
    const src = Math.floor(random() * concepts.length);
    const dst = earlier(concepts.length);
    if (link(concepts[src]!, 'relates-to', concepts[dst]!)) ends.push(src, dst);
  }

  const outline = sections.map((section, s) => ({
    title: section.name,
    description: `Key ideas of ${section.name.toLowerCase()}, and the concepts they lead to.`,
    concepts: concepts.slice(s * spec.keyConcepts, (s + 1) * spec.keyConcepts).map((c) => c.name),
    citations: [],
  }));
  return {
    id,
    title: ATLAS_TITLE,
    summary: `A map of ${concepts.length} concepts across ${sections.length} subjects and how they relate.`,
    outline,
    objectives: ['Find your way from a subject to the concepts it builds on.'],
    nodes: [root, ...sections, ...concepts],
    edges: [...edges.values()],
  };
}
