import { estimateTokens } from '../../../platform/ai/ai-hooks.ts';
import type { Llm } from '../../../platform/ai/llm.ts';
import { citationsFor, packSources, type Source } from '../../chat/index.ts';
import { generateStructured } from '../structured/generate-structured.ts';
import {
  COURSE_MAX_TOKENS,
  COURSE_TEMPERATURE,
  coursePrompt,
  sectionPrompt,
  type CourseBrief,
} from './course-prompt.ts';
import { CourseDraft, SectionDraft, type CourseArtifact } from './course.schema.ts';
import { interleaveByDocument, type SourceChunk } from './course-sources.ts';

const MAX_CITATIONS = 4;

/**
 * The course in ONE structured call over as many excerpts as fit the input budget (every document gets its
 * share), then each section's cited excerpt numbers resolved to the sentences, pages and chunks that support it.
 */
export async function llmCourse(input: {
  llm: Llm;
  userId: string;
  brief: CourseBrief;
  chunks: SourceChunk[];
  maxInputTokens: number;
  signal?: AbortSignal;
}): Promise<{
  artifact: CourseArtifact;
  model: string;
  usage: { promptTokens: number; completionTokens: number };
}> {
  const overhead = estimateTokens(
    coursePrompt(input.brief, [])
      .map((m) => m.content)
      .join('\n'),
  );
  const sources = packSources(interleaveByDocument(input.chunks), input.maxInputTokens - overhead);
  const result = await generateStructured({
    llm: input.llm,
    schema: CourseDraft,
    name: 'course',
    messages: coursePrompt(input.brief, sources),
    userId: input.userId,
    task: 'course',
    maxTokens: COURSE_MAX_TOKENS,
    temperature: COURSE_TEMPERATURE,
    signal: input.signal,
  });
  const draft = result.value;
  return {
    artifact: {
      summary: draft.summary,
      objectives: draft.objectives,
      outline: draft.outline.map((item) => ({
        title: item.title,
        description: item.description,
        concepts: item.concepts,
        citations: citationsOf(`${item.title}. ${item.description}`, item.sources, sources),
      })),
    },
    model: result.model,
    usage: result.usage,
  };
}

const SECTION_MAX_TOKENS = 600;

/**
 * One outline item afresh, in one structured call: the excerpts the section cited come first, then the rest
 * of the course's material as it fits. The rest of the artifact is kept as it is.
 */
export async function llmSection(input: {
  llm: Llm;
  userId: string;
  brief: CourseBrief;
  chunks: SourceChunk[];
  current: CourseArtifact;
  section: number;
  maxInputTokens: number;
}) {
  const cited = new Set(input.current.outline[input.section]!.citations.map((c) => c.chunkId));
  const ordered = [
    ...input.chunks.filter((c) => cited.has(c.chunkId)),
    ...interleaveByDocument(input.chunks.filter((c) => !cited.has(c.chunkId))),
  ];
  const prompt = (sources: Source[]) =>
    sectionPrompt(input.brief, input.current.outline, input.section, sources);
  const overhead = estimateTokens(
    prompt([])
      .map((m) => m.content)
      .join('\n'),
  );
  const sources = packSources(ordered, input.maxInputTokens - overhead);
  const result = await generateStructured({
    llm: input.llm,
    schema: SectionDraft,
    name: 'course-section',
    messages: prompt(sources),
    userId: input.userId,
    task: 'course',
    maxTokens: SECTION_MAX_TOKENS,
    temperature: COURSE_TEMPERATURE,
  });
  const item = result.value;
  const outline = input.current.outline.map((existing, i) =>
    i === input.section
      ? {
          title: item.title,
          description: item.description,
          concepts: item.concepts,
          citations: citationsOf(`${item.title}. ${item.description}`, item.sources, sources),
        }
      : existing,
  );
  return { artifact: { ...input.current, outline }, model: result.model, usage: result.usage };
}

/** Cited excerpts that exist; with none, the excerpts whose sentences cover the section's words. */
function citationsOf(text: string, markers: number[], sources: Source[]) {
  const known = markers.filter((m) => sources.some((s) => s.marker === m));
  const cited = known.length > 0 ? `${text} [${known.join(', ')}]` : text;
  return citationsFor(cited, sources)
    .slice(0, MAX_CITATIONS)
    .map(({ documentId, page, chunkId, quote }) => ({ documentId, page, chunkId, quote }));
}
