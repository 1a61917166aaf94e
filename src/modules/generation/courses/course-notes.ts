import { Type } from '@sinclair/typebox';
import { estimateTokens } from '../../../platform/ai/ai-hooks.ts';
import type { Llm } from '../../../platform/ai/llm.ts';
import { packSources, type Source } from '../../chat/index.ts';
import { generateStructured } from '../structured/generate-structured.ts';
import { COURSE_TEMPERATURE, NOTES_MAX_TOKENS, notesPrompt, type CourseBrief } from './course-prompt.ts';

// The map step of a course over more text than one call takes: consecutive groups of chunks, each condensed by
// one bounded call into notes that keep the numbers of the chunks they come from. The course itself is still ONE
// structured call, over the notes (llm-course.ts).

/** Map calls per course at most; longer inputs keep every k-th chunk so that the groups cover all of them. */
export const MAX_NOTE_CALLS = 8;
/** Map calls in flight at once. */
const NOTE_CONCURRENCY = 3;
const MAX_NOTES_PER_CALL = 8;
/** What one note costs in the course call (a sentence or two, its header line and the ask). */
const NOTE_TOKENS = 120;

/** What the model answers for one group of excerpts. */
export const CourseNotesDraft = Type.Object(
  {
    notes: Type.Array(
      Type.Object(
        {
          point: Type.String({ minLength: 1, maxLength: 400 }),
          sources: Type.Array(Type.Integer({ minimum: 1, maximum: 999 }), { maxItems: 6 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_NOTES_PER_CALL },
    ),
  },
  { additionalProperties: false },
);

/** A note with the chunks it comes from (as numbered in the whole course's chunk list). */
export interface CourseNote {
  text: string;
  chunks: Source[];
}

/**
 * Consecutive runs of chunks that each fit `budgetTokens`, at most `maxGroups` of them: when the whole text would
 * need more, every k-th chunk is kept first, so the groups still span all of it.
 */
export function groupChunks(chunks: Source[], budgetTokens: number, maxGroups: number): Source[][] {
  const total = chunks.reduce((sum, c) => sum + estimateTokens(c.text), 0);
  const step = Math.max(1, Math.ceil(total / (budgetTokens * maxGroups)));
  const groups: Source[][] = [];
  let spent = 0;
  for (const chunk of chunks.filter((_, i) => i % step === 0)) {
    const tokens = estimateTokens(chunk.text);
    const current = groups.at(-1);
    if (current && current.length > 0 && spent + tokens <= budgetTokens) {
      current.push(chunk);
      spent += tokens;
    } else {
      if (groups.length === maxGroups) break;
      groups.push([chunk]);
      spent = tokens;
    }
  }
  return groups;
}

/**
 * The notes of every group, in reading order: one structured call per group, NOTE_CONCURRENCY at a time, each
 * reported to `onStep` as it ends. `chunks` are numbered (their markers) for the whole course.
 */
export async function courseNotes(input: {
  llm: Llm;
  userId: string;
  brief: CourseBrief;
  chunks: Source[];
  maxInputTokens: number;
  signal?: AbortSignal;
  onStep?: (done: number, total: number) => void;
}): Promise<{ notes: CourseNote[]; usage: { promptTokens: number; completionTokens: number } }> {
  const overhead = estimateTokens(
    notesPrompt(input.brief, [], MAX_NOTES_PER_CALL)
      .map((m) => m.content)
      .join('\n'),
  );
  const groups = groupChunks(input.chunks, input.maxInputTokens - overhead, MAX_NOTE_CALLS);
  // Every group's notes must fit the one course call that reads them all.
  const perGroup = Math.max(
    2,
    Math.min(MAX_NOTES_PER_CALL, Math.floor(input.maxInputTokens / 2 / (NOTE_TOKENS * groups.length))),
  );
  const usage = { promptTokens: 0, completionTokens: 0 };
  const stop = new AbortController();
  const signal = input.signal ? AbortSignal.any([input.signal, stop.signal]) : stop.signal;
  let done = 0;
  const notesOf = async (group: Source[]): Promise<CourseNote[]> => {
    // Numbered 1..n within the call; mapped back to the course's chunks below.
    const local = packSources(group, Number.POSITIVE_INFINITY);
    const result = await generateStructured({
      llm: input.llm,
      schema: CourseNotesDraft,
      name: 'course-notes',
      messages: notesPrompt(input.brief, local, perGroup),
      userId: input.userId,
      task: 'course',
      maxTokens: NOTES_MAX_TOKENS,
      temperature: COURSE_TEMPERATURE,
      signal,
    });
    usage.promptTokens += result.usage.promptTokens;
    usage.completionTokens += result.usage.completionTokens;
    input.onStep?.(++done, groups.length);
    return result.value.notes.slice(0, perGroup).map((note) => {
      const cited = group.filter((_, i) => note.sources.includes(i + 1));
      return { text: note.point, chunks: cited.length > 0 ? cited : group };
    });
  };
  try {
    const perGroupNotes = await inParallel(groups, NOTE_CONCURRENCY, notesOf);
    return { notes: perGroupNotes.flat(), usage };
  } catch (error) {
    stop.abort(); // the calls still in flight are of no use now
    throw error;
  }
}

/** `work` over `items`, at most `limit` at once, results in the items' order; the first failure stops new work. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
