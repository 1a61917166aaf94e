import { describe, expect, it } from 'vitest';
import { citationsFor } from '../../src/modules/chat/citations.ts';
import { chatPrompt, HISTORY_MESSAGES, recentHistory } from '../../src/modules/chat/prompt.ts';
import { sourceSentences, type Source } from '../../src/modules/chat/sources.ts';
import { anyOfWords } from '../../src/modules/chat/word-overlap.ts';
import type { ChatMessage } from '../../src/platform/ai/llm.ts';

const page4 = 'Invoices are sent on the first working day of each month.';
const page5 = 'Late invoices accrue interest at two percent per month. Disputes go to the billing team.';
const source = (marker: number, text: string, pageBreaks: number[] = [], pageFrom = 1): Source => ({
  marker,
  chunkId: `chunk-${marker}`,
  documentId: `doc-${marker}`,
  title: `Doc ${marker}`,
  pageFrom,
  pageTo: pageFrom + pageBreaks.length,
  pageBreaks,
  text,
});
const billing = source(1, `${page4}\n\n${page5}`, [page4.length + 2], 4);
const unrelated = source(2, 'The lighthouse keeper polished the lens every evening before the storm.');

describe('sources', () => {
  it('gives each sentence the page it starts on, from the page breaks', () => {
    expect(sourceSentences(billing)).toEqual([
      { text: page4, page: 4 },
      { text: 'Late invoices accrue interest at two percent per month.', page: 5 },
      { text: 'Disputes go to the billing team.', page: 5 },
    ]);
  });
});

describe('citationsFor', () => {
  it('quotes, for each marker, the sentence of that source that best supports the words before it', () => {
    const answer = 'Overdue invoices accrue two percent interest monthly [1]. Keepers polish lenses [2].';
    expect(citationsFor(answer, [billing, unrelated])).toEqual([
      {
        marker: 1,
        documentId: 'doc-1',
        title: 'Doc 1',
        page: 5,
        chunkId: 'chunk-1',
        quote: 'Late invoices accrue interest at two percent per month.',
      },
      expect.objectContaining({ marker: 2, page: 1, quote: unrelated.text }),
    ]);
  });

  it('reads grouped markers and ignores numbers that name no source', () => {
    const cited = citationsFor('Invoices go out on the first working day [1, 7][2].', [billing, unrelated]);
    expect(cited.map((c) => [c.marker, c.page])).toEqual([
      [1, 4],
      [2, 1],
    ]);
  });

  it('grounds an answer without markers by word overlap, and cites nothing unsupported', () => {
    expect(citationsFor('Disputes go to the billing team, they said.', [unrelated, billing])).toEqual([
      expect.objectContaining({
        marker: 1,
        documentId: 'doc-1',
        page: 5,
        quote: 'Disputes go to the billing team.',
      }),
    ]);
    expect(citationsFor('Bananas are yellow.', [billing, unrelated])).toEqual([]);
  });
});

describe('chat prompt', () => {
  const turns = (count: number): ChatMessage[] =>
    Array.from({ length: count }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `message ${i + 1} ${'word '.repeat(40)}`,
    }));

  it('keeps at most the last 20 messages, then as many of the newest as fit the token budget', () => {
    const history = turns(30);
    expect(recentHistory(history, 1_000_000)).toEqual(history.slice(-HISTORY_MESSAGES));
    const trimmed = recentHistory(history, 250);
    expect(trimmed.length).toBeGreaterThan(0);
    expect(trimmed.length).toBeLessThan(HISTORY_MESSAGES);
    expect(trimmed).toEqual(history.slice(-trimmed.length));
    expect(trimmed[0]!.role).toBe('user');
  });

  it('numbers the sources with their pages and ends with the question', () => {
    const messages = chatPrompt({
      question: 'When are invoices sent?',
      history: turns(2),
      sources: [billing],
      maxInputTokens: 4000,
    });
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages.at(-1)!.content).toBe(
      `Sources:\n\n[1] "Doc 1", pages 4–5:\n${billing.text}\n\nQuestion: When are invoices sent?`,
    );
  });

  it('turns a question into a full-text query matching any of its content words', () => {
    expect(anyOfWords('When are the refunds for annual plans issued? Refunds!')).toBe(
      '"refunds" or "annual" or "plans" or "issued"',
    );
  });
});
