import { uuidv7 } from 'uuidv7';
import type { CourseArtifact } from '../courses/course.schema.ts';

export interface ConceptNode {
  id: string;
  name: string;
  kind: 'course' | 'section' | 'concept';
}

export interface ConceptEdge {
  srcId: string;
  rel: 'contains' | 'relates-to';
  dstId: string;
}

/**
 * The course's concept graph: the course contains its sections, each section contains its concepts, and the
 * concepts named together in a section relate to each other. A concept named in several sections is one node
 * (matched case-insensitively), which is what links sections through shared ideas.
 */
export function conceptGraph(title: string, artifact: CourseArtifact) {
  const root: ConceptNode = { id: uuidv7(), name: title, kind: 'course' };
  const nodes: ConceptNode[] = [root];
  const edges = new Map<string, ConceptEdge>();
  const link = (srcId: string, rel: ConceptEdge['rel'], dstId: string) => {
    if (srcId !== dstId) edges.set(`${srcId} ${rel} ${dstId}`, { srcId, rel, dstId });
  };
  const concepts = new Map<string, ConceptNode>();
  for (const item of artifact.outline) {
    const section: ConceptNode = { id: uuidv7(), name: item.title, kind: 'section' };
    nodes.push(section);
    link(root.id, 'contains', section.id);
    const members = item.concepts.map((name) => {
      const key = name.trim().toLowerCase();
      let node = concepts.get(key);
      if (!node) {
        node = { id: uuidv7(), name: name.trim(), kind: 'concept' };
        concepts.set(key, node);
        nodes.push(node);
      }
      link(section.id, 'contains', node.id);
      return node;
    });
    // Consecutive pairs, not every pair: related enough, and edges grow linearly with the concepts.
    for (let i = 1; i < members.length; i++) link(members[i - 1]!.id, 'relates-to', members[i]!.id);
  }
  return { root, nodes, edges: [...edges.values()] };
}
