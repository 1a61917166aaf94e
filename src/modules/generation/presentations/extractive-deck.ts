import { sourceSentences } from '../../chat/index.ts';
import { centralSentences, splitSentences } from '../../ingest/index.ts';
import { consecutiveRuns, type SourceChunk } from '../courses/course-sources.ts';
import type { DeckArtifact, Slide } from './deck.schema.ts';
import { clip, evenSample, termCounts } from '../sources/extractive-text.ts';
import { fillLayout, type Material } from './fill-layout.ts';
import type { LayoutId } from './layouts.ts';
import type { Template } from './templates.ts';

export const EXTRACTIVE_DECK_MODEL = 'local-extractive-deck-v1';

/** LexRank is quadratic in sentences: each slide ranks an even sample of at most this many. */
const SENTENCES_PER_SLIDE = 80;
const POINTS_PER_SLIDE = 4;
const QUOTE_CHARS = 300;

export interface ExtractiveDeckInput {
  prompt: string;
  numCards: number;
  template: Template;
  chunks: SourceChunk[];
  /** Slide index → the layout it must use (a slide regenerated in another layout). */
  layouts?: ReadonlyMap<number, LayoutId>;
}

/**
 * The local engine's deck, built without a model. From documents: a title slide, then the documents' sentences
 * cut into consecutive runs, one per slide; each slide's points are the run's most central sentences (LexRank)
 * in reading order, laid out in the template's layouts in turn, and cite the page and chunk of each. With only
 * a prompt: a minimal deck restating the prompt, one slide per sentence of it.
 */
export function extractiveDeck(input: ExtractiveDeckInput): DeckArtifact {
  const sentences = input.chunks.flatMap((chunk) =>
    sourceSentences({ ...chunk, marker: 0 })
      .filter((s) => s.text.length >= 20 && s.text.length <= 600)
      .map((s) => ({ ...s, chunk })),
  );
  const title = clip(input.chunks[0]?.title ?? firstSentence(input.prompt), 90);
  const opening: Material = { heading: title, points: [clip(input.prompt, 200)] };
  const runs = consecutiveRuns(sentences, input.numCards - 1);
  const materials: Material[] =
    sentences.length > 0
      ? runs.map((run) => {
          const sample = evenSample(run, SENTENCES_PER_SLIDE);
          const picked = centralSentences(
            sample.map((s) => s.text),
            POINTS_PER_SLIDE,
          ).sort((a, b) => a - b);
          const points = picked.map((i) => sample[i]!);
          const source = points[0]!.chunk;
          return {
            heading: headingOf(points[0]!.text),
            points: points.map((p) => p.text),
            attribution: source.title,
            intent: `The central points of ${source.title}, pages ${run[0]!.page}–${run.at(-1)!.page}.`,
            imageQuery: keywords(run.map((s) => s.text).join(' ')),
            citations: points.map((p) => ({
              documentId: p.chunk.documentId,
              page: p.page,
              chunkId: p.chunk.chunkId,
              quote: clip(p.text, QUOTE_CHARS),
            })),
          };
        })
      : splitSentences(input.prompt)
          .slice(1, input.numCards)
          .map((sentence) => ({ heading: headingOf(sentence), points: [sentence] }));
  const contentLayouts = input.template.layouts.filter((l) => l !== 'title');
  const slides = [opening, ...materials].map((material, i): Slide => {
    const wanted = input.layouts?.get(i) ?? (i === 0 ? 'title' : pickLayout(contentLayouts, i - 1, material));
    const fallbackQuery = keywords(`${material.heading} ${input.prompt}`);
    return {
      title: material.heading,
      layout: wanted,
      intent: material.intent ?? (i === 0 ? 'Open the deck.' : `Restate: ${clip(material.points[0]!, 280)}`),
      content: fillLayout(wanted, material),
      imageQuery: material.imageQuery ?? fallbackQuery,
      citations: material.citations ?? [],
    };
  });
  return { title, slides };
}

/** The template's layouts in turn; a figure layout only where the material holds a figure. */
function pickLayout(layouts: LayoutId[], turn: number, material: Material): LayoutId {
  for (let k = 0; k < layouts.length; k++) {
    const layout = layouts[(turn + k) % layouts.length]!;
    if (layout !== 'big-number' || material.points.some((p) => /\d/.test(p))) return layout;
  }
  return layouts[0] ?? 'title';
}

function headingOf(sentence: string): string {
  const words = sentence.replace(/[.!?]+$/, '').split(/\s+/);
  return clip(words.length > 8 ? `${words.slice(0, 8).join(' ')}…` : words.join(' '), 90);
}

function firstSentence(text: string): string {
  return splitSentences(text)[0] ?? text;
}

/** The text's most frequent uncommon words: a picture search query. */
function keywords(text: string): string {
  const counts = termCounts(text);
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 4);
  return clip(top.map(([w]) => w).join(' ') || 'presentation', 120);
}
