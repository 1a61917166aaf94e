import { estimateTokens } from '../../../platform/ai/ai-hooks.ts';
import type { Llm } from '../../../platform/ai/llm.ts';
import { packSources, type Source } from '../../chat/index.ts';
import { citationsOf } from '../sources/cited-excerpts.ts';
import { generateStructured } from '../structured/generate-structured.ts';
import {
  COURSE_MAX_TOKENS,
  COURSE_TEMPERATURE,
  coursePrompt,
  sectionPrompt,
  type CourseBrief,
} from './course-prompt.ts';
import { CourseDraft, SectionDraft, type CourseArtifact } from './course.schema.ts';
import { courseNotes } from './course-notes.ts';
import { interleaveByDocument, type SourceChunk } from './course-sources.ts';

const MAX_CITATIONS = 4;

/**
 * The course in ONE structured call, then each section's cited excerpt numbers resolved to the sentences, pages
 * and chunks that support it. The call reads the excerpts themselves when they all fit the input budget (every
 * document gets its share), or else notes of the whole text made group by group (map-reduce, course-notes.ts).
 */
export async function llmCourse(input: {
  llm: Llm;
  userId: string;
  brief: CourseBrief;
  chunks: SourceChunk[];
  maxInputTokens: number;
  signal?: AbortSignal;
  /** Each map step over a long input, as it ends. */
  onStep?: (done: number, total: number) => void;
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
  const budget = input.maxInputTokens - overhead;
  const fits = input.chunks.reduce((sum, c) => sum + estimateTokens(c.text), 0) <= budget;
  const material = fits
    ? excerptsMaterial(input.chunks, budget)
    : await notesMaterial({ ...input, chunks: packSources(input.chunks, Number.POSITIVE_INFINITY) }, budget);
  const result = await generateStructured({
    llm: input.llm,
    schema: CourseDraft,
    name: 'course',
    messages: coursePrompt(input.brief, material.prompt),
    userId: input.userId,
    task: 'course',
    maxTokens: COURSE_MAX_TOKENS,
    temperature: COURSE_TEMPERATURE,
    signal: input.signal,
  });
  const draft = result.value;
  const cite = (text: string, markers: number[]) =>
    citationsOf(text, material.chunksCitedBy(markers), material.chunks, MAX_CITATIONS);
  return {
    artifact: {
      summary: draft.summary,
      objectives: draft.objectives,
      outline: draft.outline.map((item) => ({
        title: item.title,
        description: item.description,
        concepts: item.concepts,
        citations: cite(`${item.title}. ${item.description}`, item.sources),
      })),
    },
    model: result.model,
    usage: {
      promptTokens: result.usage.promptTokens + material.usage.promptTokens,
      completionTokens: result.usage.completionTokens + material.usage.completionTokens,
    },
  };
}

/** What the course call reads (`prompt`), and how the numbers it cites lead back to numbered `chunks`. */
interface CourseMaterial {
  prompt: Source[];
  chunks: Source[];
  chunksCitedBy: (markers: number[]) => number[];
  usage: { promptTokens: number; completionTokens: number };
}

function excerptsMaterial(chunks: SourceChunk[], budget: number): CourseMaterial {
  const sources = packSources(interleaveByDocument(chunks), budget);
  return {
    prompt: sources,
    chunks: sources,
    chunksCitedBy: (markers) => markers,
    usage: { promptTokens: 0, completionTokens: 0 },
  };
}

/** The map step's notes as the course call's numbered excerpts, each headed by the pages it comes from. */
async function notesMaterial(
  input: Parameters<typeof courseNotes>[0] & { chunks: Source[] },
  budget: number,
): Promise<CourseMaterial> {
  const { notes, usage } = await courseNotes(input);
  const prompt = packSources(
    notes.map(({ text, chunks }) => {
      const first = chunks[0]!;
      const pages = chunks.filter((c) => c.documentId === first.documentId);
      return {
        ...first,
        text,
        pageBreaks: [],
        pageFrom: Math.min(...pages.map((c) => c.pageFrom)),
        pageTo: Math.max(...pages.map((c) => c.pageTo)),
      };
    }),
    budget,
  );
  return {
    prompt,
    chunks: input.chunks,
    chunksCitedBy: (markers) => [
      ...new Set(
        markers.flatMap((m) => (m <= prompt.length ? notes[m - 1]!.chunks.map((c) => c.marker) : [])),
      ),
    ],
    usage,
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
          citations: citationsOf(`${item.title}. ${item.description}`, item.sources, sources, MAX_CITATIONS),
        }
      : existing,
  );
  return { artifact: { ...input.current, outline }, model: result.model, usage: result.usage };
}
