import { pdfFromPages, seededRandom } from './generate-documents.ts';
import type { Topic } from './topics.ts';

type Pick = <T>(items: readonly T[]) => T;

const TEMPLATES: readonly ((w: Words) => string)[] = [
  (w) => `The ${w.adj()} ${w.noun()} ${w.verb()} the ${w.noun()}.`,
  (w) => `${w.person()} often ${w.verb()} ${w.a(w.adj())} ${w.noun()} near the ${w.noun()}.`,
  (w) => `When the ${w.noun()} is ${w.adj()}, the ${w.noun()} ${w.verb()} the ${w.adj()} ${w.noun()}.`,
  (w) => `In practice, ${w.person()} ${w.verb()} every ${w.noun()} before the ${w.noun()} turns ${w.adj()}.`,
  (w) => `Because the ${w.noun()} ${w.verb()} the ${w.noun()}, ${w.a(w.adj())} ${w.noun()} lasts longer.`,
  (w) => `This section explains how ${w.a(w.noun())} ${w.verb()} the ${w.adj()} ${w.noun()} over time.`,
  (w) => `${w.a(w.noun())} that is too ${w.adj()} rarely ${w.verb()} the ${w.noun()} well.`,
  (w) => `Experience shows that ${w.person()} ${w.verb()} the ${w.noun()} with ${w.adj()} care.`,
];

interface Words {
  noun(): string;
  verb(): string;
  adj(): string;
  person(): string;
  /** "a" or "an" before `word`. */
  a(word: string): string;
}

function words(topic: Topic, pick: Pick): Words {
  return {
    noun: () => pick(topic.nouns),
    verb: () => pick(topic.verbs),
    adj: () => pick(topic.adjectives),
    person: () => pick(topic.people),
    a: (word) => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`,
  };
}

const capitalise = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** Deterministic text about one topic, from a seed. */
export function topicWriter(topic: Topic, seed: number) {
  const next = seededRandom(seed);
  const pick: Pick = (items) => items[next(items.length)]!;
  const w = words(topic, pick);
  const sentence = () => capitalise(pick(TEMPLATES)(w));
  const paragraph = (sentences: number) => Array.from({ length: sentences }, sentence).join(' ');
  return { pick, next, sentence, paragraph };
}

/** A handbook of `pages` pages: a chapter heading every few pages, four paragraphs a page (~250 words). */
export function handbookPdf(topic: Topic, seed: number, pages: number, title: string): Promise<Buffer> {
  const write = topicWriter(topic, seed);
  const texts = Array.from({ length: pages }, (_, i) => {
    const paragraphs = Array.from({ length: 4 }, () => write.paragraph(5 + write.next(3)));
    if (i % 4 === 0) {
      const heading = topic.headings[(i / 4) % topic.headings.length]!;
      paragraphs.unshift(`# Chapter ${i / 4 + 1}: ${heading}`);
    }
    return paragraphs.join('\n\n');
  });
  return pdfFromPages({ pages, textForPage: (page) => texts[page - 1]!, title });
}

/** Notes in Markdown: a title, an introduction, then sections with paragraphs and a short list. */
export function notesMarkdown(topic: Topic, seed: number, sections: number, title: string): string {
  const write = topicWriter(topic, seed);
  const out = [`# ${title}`, '', write.paragraph(4), ''];
  for (let s = 0; s < sections; s++) {
    out.push(`## ${write.pick(topic.headings)}`, '', write.paragraph(5 + write.next(4)), '');
    for (let item = 0; item < 3; item++) out.push(`- ${write.sentence()}`);
    out.push('', write.paragraph(4), '');
  }
  return out.join('\n');
}

const NAMES = ['Mara', 'Tobias', 'Ines', 'Oskar', 'Leila', 'Jonah', 'Priya', 'Elias'];

/** A short story: someone, a place from the topic, a few paragraphs of what happened. */
export function storyText(topic: Topic, seed: number, paragraphs: number): string {
  const write = topicWriter(topic, seed);
  const name = write.pick(NAMES);
  const opening = `${name} had always wanted to understand the ${write.pick(topic.nouns)}.`;
  const body = Array.from({ length: paragraphs }, (_, i) =>
    [i === 0 ? opening : `${name} remembered the ${write.pick(topic.nouns)}.`, write.paragraph(4)].join(' '),
  );
  return body.join('\n\n');
}
