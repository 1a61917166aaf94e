import { sourceSentences, type SourceSentence } from '../../chat/index.ts';
import { centralSentences } from '../../ingest/index.ts';
import type { CourseArtifact, OutlineItem } from './course.schema.ts';
import { clip, evenSample, termCounts } from '../sources/extractive-text.ts';
import { consecutiveRuns, type SourceChunk } from './course-sources.ts';

export const EXTRACTIVE_COURSE_MODEL = 'local-extractive-course-v1';

const SECTIONS = 8;
/** LexRank is quadratic in sentences: each section ranks an even sample of at most this many. */
const SENTENCES_PER_SECTION = 120;
const SUMMARY_SENTENCES = 3;
/** Central sentences considered per section, for one not used by an earlier section. */
const TOP_CANDIDATES = 5;
const TITLE_WORDS = 8;
const CONCEPTS_PER_SECTION = 3;
const QUOTE_CHARS = 300;
const HEADING = /^[\p{Lu}\p{N}][^.!?:;\n]{1,78}$/u;
const HEADING_WORDS = 10;

interface Located extends SourceSentence {
  chunk: SourceChunk;
}

/**
 * The local engine's course, built without a model: the documents' chunks are cut into consecutive sections;
 * each section is titled by its heading (or its central sentence), described by its most central sentence
 * (LexRank), and cites the page and chunk that sentence comes from; concepts are the section's most
 * distinctive words; the summary is the most central of the section sentences.
 */
export function extractiveCourse(chunks: SourceChunk[]): CourseArtifact {
  const byDocument = new Map<string, SourceChunk[]>();
  for (const chunk of chunks)
    byDocument.set(chunk.documentId, [...(byDocument.get(chunk.documentId) ?? []), chunk]);
  const runs = [...byDocument.values()].flatMap((documentChunks) =>
    consecutiveRuns(
      documentChunks,
      Math.max(1, Math.round((SECTIONS * documentChunks.length) / chunks.length)),
    ),
  );
  const used = new Set<string>();
  const sections = runs.slice(0, SECTIONS).flatMap((run) => {
    const sentences = run.flatMap((chunk) =>
      sourceSentences({ ...chunk, marker: 0 }).map((s): Located => ({ ...s, chunk })),
    );
    const candidates = evenSample(
      sentences.filter((s) => s.text.length >= 30 && s.text.length <= 600),
      SENTENCES_PER_SECTION,
    );
    // Documents repeat themselves: a sentence already describing an earlier section is passed over.
    const ranked = centralSentences(
      candidates.map((s) => s.text),
      TOP_CANDIDATES,
    );
    const central = ranked.map((i) => candidates[i]!).find((s) => !used.has(s.text));
    if (!central) return [];
    used.add(central.text);
    return [{ run, central }];
  });
  const termSets = sections.map(({ run }) => termCounts(run.map((c) => c.text).join('\n')));
  const outline = sections.map(({ run, central }, i): OutlineItem => {
    const concepts = distinctiveTerms(termSets[i]!, termSets);
    return {
      title: firstHeading(run) ?? openingWords(central.text),
      description: clip(central.text, 600),
      concepts: concepts.length > 0 ? concepts : [clip(run[0]!.title, 60)],
      citations: [
        {
          documentId: central.chunk.documentId,
          page: central.page,
          chunkId: central.chunk.chunkId,
          quote: clip(central.text, QUOTE_CHARS),
        },
      ],
    };
  });
  const descriptions = outline.map((item) => item.description);
  const summaryPicks = centralSentences(descriptions, SUMMARY_SENTENCES).sort((a, b) => a - b);
  return {
    summary: clip(summaryPicks.map((i) => descriptions[i]).join(' '), 2000),
    outline,
    objectives: outline
      .slice(0, 8)
      .map((item) => clip(`Explain ${item.concepts.join(', ')} as presented in “${item.title}”.`, 200)),
  };
}

/** The run's first paragraph that reads as a heading: one short line without sentence punctuation. */
function firstHeading(run: SourceChunk[]): string | undefined {
  for (const chunk of run) {
    const heading = chunk.text
      .split(/\n\s*\n/)
      .map((paragraph) => paragraph.replace(/^#+\s*/, '').trim())
      .find((line) => HEADING.test(line) && line.split(/\s+/).length <= HEADING_WORDS);
    if (heading) return heading;
  }
  return undefined;
}

function openingWords(sentence: string): string {
  const words = sentence.replace(/[.!?]+$/, '').split(/\s+/);
  return clip(
    words.length > TITLE_WORDS ? `${words.slice(0, TITLE_WORDS).join(' ')}…` : words.join(' '),
    120,
  );
}

/** The section's words weighted by frequency and rarity across sections (TF-IDF), best first. */
function distinctiveTerms(counts: Map<string, number>, all: Map<string, number>[]): string[] {
  const idf = (term: string) => Math.log((1 + all.length) / (1 + all.filter((c) => c.has(term)).length)) + 1;
  return [...counts]
    .map(([term, tf]) => ({ term, score: tf * idf(term) }))
    .sort((a, b) => b.score - a.score || a.term.localeCompare(b.term))
    .slice(0, CONCEPTS_PER_SECTION)
    .map(({ term }) => term.charAt(0).toUpperCase() + term.slice(1));
}
