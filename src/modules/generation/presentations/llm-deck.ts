import { estimateTokens } from '../../../platform/ai/ai-hooks.ts';
import type { Llm } from '../../../platform/ai/llm.ts';
import { packSources, type Source } from '../../chat/index.ts';
import { interleaveByDocument, type SourceChunk } from '../courses/course-sources.ts';
import { citationsOf } from '../sources/cited-excerpts.ts';
import { generateStructured } from '../structured/generate-structured.ts';
import { DECK_TEMPERATURE, outlinePrompt, slidePrompt, type DeckBrief } from './deck-prompt.ts';
import {
  outlineSchema,
  slideDraftSchema,
  type DeckOutline,
  type OutlineItem,
  type Slide,
  type SlideDraft,
} from './deck.schema.ts';

/** Slide content calls in flight at once for one deck. */
const SLIDE_CONCURRENCY = 3;
const SLIDE_MAX_TOKENS = 800;
const MAX_SLIDE_CITATIONS = 4;

type Usage = { promptTokens: number; completionTokens: number };

export interface LlmDeckInput {
  llm: Llm;
  userId: string;
  brief: DeckBrief;
  chunks: SourceChunk[];
  maxInputTokens: number;
}

function sourcesFor(input: LlmDeckInput, promptText: string, ordered = interleaveByDocument(input.chunks)) {
  return packSources(ordered, input.maxInputTokens - estimateTokens(promptText));
}

/** The outline call: exactly `numCards` slides, each with a layout of the template and its intent. */
export async function llmOutline(
  input: LlmDeckInput,
): Promise<{ outline: DeckOutline; model: string; usage: Usage }> {
  const overhead = outlinePrompt(input.brief, [])
    .map((m) => m.content)
    .join('\n');
  const sources = sourcesFor(input, overhead);
  const result = await generateStructured({
    llm: input.llm,
    schema: outlineSchema(input.brief.layouts, input.brief.numCards),
    name: 'deck-outline',
    messages: outlinePrompt(input.brief, sources),
    userId: input.userId,
    task: 'deck',
    maxTokens: 200 + 120 * input.brief.numCards,
    temperature: DECK_TEMPERATURE,
  });
  return { outline: result.value, model: result.model, usage: result.usage };
}

/** One slide's content against its layout's schema (repaired when invalid), with citations when sourced. */
export async function llmSlide(
  input: LlmDeckInput,
  outline: DeckOutline,
  index: number,
  item: OutlineItem,
): Promise<{ slide: Slide; usage: Usage }> {
  const overhead = slidePrompt(input.brief, outline, index, item, [])
    .map((m) => m.content)
    .join('\n');
  const sources: Source[] = sourcesFor(input, overhead);
  const result = await generateStructured({
    llm: input.llm,
    schema: slideDraftSchema(item.layout),
    name: 'deck-slide',
    messages: slidePrompt(input.brief, outline, index, item, sources),
    userId: input.userId,
    task: 'deck',
    maxTokens: SLIDE_MAX_TOKENS,
    temperature: DECK_TEMPERATURE,
  });
  const draft = result.value as SlideDraft;
  const text = [
    item.title,
    ...Object.values(draft.content)
      .flat()
      .filter((v) => typeof v === 'string'),
  ].join('. ');
  const citations = sources.length > 0 ? citationsOf(text, draft.sources, sources, MAX_SLIDE_CITATIONS) : [];
  return {
    slide: { ...item, content: draft.content, imageQuery: draft.imageQuery, citations },
    usage: result.usage,
  };
}

/**
 * Every slide of the outline, in parallel with a small bound; `onSlide` hears each one finish. The first
 * failure stops new calls and is thrown.
 */
export async function llmSlides(
  input: LlmDeckInput,
  outline: DeckOutline,
  onSlide: (done: number) => void,
): Promise<{ slides: Slide[]; usage: Usage }> {
  const slides: Slide[] = new Array<Slide>(outline.slides.length);
  const usage = { promptTokens: 0, completionTokens: 0 };
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < outline.slides.length) {
      const index = next++;
      try {
        const made = await llmSlide(input, outline, index, outline.slides[index]!);
        slides[index] = made.slide;
        usage.promptTokens += made.usage.promptTokens;
        usage.completionTokens += made.usage.completionTokens;
        onSlide(++done);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SLIDE_CONCURRENCY, outline.slides.length) }, worker));
  return { slides, usage };
}
