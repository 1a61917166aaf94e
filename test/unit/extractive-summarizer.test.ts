import { describe, expect, it } from 'vitest';
import {
  createExtractiveSummarizer,
  MAX_SCORED_SENTENCES,
  selectCandidates,
} from '../../src/modules/ingest/summarize/extractive-summarizer.ts';
import { isProse, splitSentences } from '../../src/modules/ingest/summarize/sentences.ts';
import type { SummaryInput } from '../../src/modules/ingest/summarize/summarizer.ts';

// A utility's annual report: one overview, three topics, and asides (a picnic, a café, a table) that no
// summary should quote.
const report: SummaryInput = {
  title: 'Riverside Water Utility: annual report',
  sections: [
    {
      heading: 'Overview',
      text: `Overview
This year the Riverside Water Utility replaced aging pipes, upgraded the treatment plant and kept water rates flat for households.
The utility serves about 240,000 residents across the city and two neighbouring towns.
Dr. Elena Marsh, the utility's director, said the pipe replacement programme and the treatment plant upgrade were the two largest projects in its history.
The annual picnic for employees took place in June at Lakeview Park.`,
    },
    {
      heading: 'Pipes and leaks',
      text: `Crews replaced 42 kilometres of cast-iron water pipes, most of them laid before 1950.
Old cast-iron pipes crack in cold weather, and every crack leaks treated water into the ground.
After the replacement, the share of treated water lost to leaks fell from 18% to 11.5%.
Leak detection sensors now cover the pipes under the busiest streets, so crews can repair a leak within hours.
The pipe replacement programme will continue for another six years, e.g. on the older pipes in the northern districts.`,
    },
    {
      heading: 'Treatment plant',
      text: `The treatment plant upgrade added ultraviolet disinfection and a second filtration line.
With the upgrade, the treatment plant can filter 90 million litres of water a day, up from 65 million.
Water quality tests met every national standard in all 12 months of the year.
Testing at the plant found no lead in treated water, and the utility published each water quality test online.
The plant's new visitor centre has a small café that serves local pastries.`,
    },
    {
      heading: 'Rates and finances',
      text: `Water rates for households stayed flat for the third year in a row.
The utility paid for the pipe replacement and the plant upgrade with a low-interest state loan of 120 million dollars.
Operating costs rose 4.5% vs. the previous year, mainly because of energy prices at the treatment plant.
Commercial water rates will rise 3% next year to cover the loan repayments.`,
    },
    {
      heading: 'Tables',
      text: `Table 3
2019 2020 2021 2022
18.0 16.2 13.9 11.5
Figure 2: leaks by district.`,
    },
  ],
};

const sourceSentences = (input: SummaryInput) => splitSentences(input.sections.map((s) => s.text).join('\n'));

/** The summary's sentences, each located in the source; fails if one is not quoted verbatim. */
function quoted(summary: string, input: SummaryInput): { sentence: string; at: number }[] {
  const source = sourceSentences(input);
  return splitSentences(summary).map((sentence) => {
    const at = source.indexOf(sentence);
    expect(at, `not in the source: ${sentence}`).toBeGreaterThanOrEqual(0);
    return { sentence, at };
  });
}

describe('sentence splitting', () => {
  it('keeps abbreviations, initials and decimals inside their sentence and mends wrapped lines', () => {
    const text = `Introduction
Dr. Smith arrived at 3.5 p.m. on Monday, e.g. after lunch. Costs rose 4.5% vs. last year!
Mr. J. R. R. Tolkien wrote the books. Was it the U.S. economy? The pipeline moves water from the
reservoir through three pumping stations before the treat-
ment plant.`;
    expect(splitSentences(text)).toEqual([
      'Introduction',
      'Dr. Smith arrived at 3.5 p.m. on Monday, e.g. after lunch.',
      'Costs rose 4.5% vs. last year!',
      'Mr. J. R. R. Tolkien wrote the books.',
      'Was it the U.S. economy?',
      'The pipeline moves water from the reservoir through three pumping stations before the treat-ment plant.',
    ]);
  });

  it.each([
    ['a heading', 'Rates and finances', false],
    ['a fragment', 'and the plant upgrade with a low-interest state loan.', false],
    ['a table row', '2019 2020 2021 2022 18.0 16.2 13.9 11.5.', false],
    ['too short to stand alone', 'See the table below.', false],
    ['prose', 'Water rates for households stayed flat for the third year in a row.', true],
  ])('tells %s from prose', (_, sentence, prose) => {
    expect(isProse(sentence)).toBe(prose);
  });
});

describe('extractive summarizer', () => {
  it("quotes the document's most central sentences, covering its topics and none of its asides", async () => {
    const summary = await createExtractiveSummarizer().summarize(report);
    expect(summary).toMatchObject({
      model: 'local-extractive-v1',
      method: 'extractive',
      note: expect.stringContaining('Extractive summary'),
      usage: { promptTokens: 0, completionTokens: 0 },
    });
    const sentences = quoted(summary.text, report).map((q) => q.sentence);
    expect(sentences).toHaveLength(5);
    expect(sentences[0]).toMatch(/^This year the Riverside Water Utility replaced aging pipes/);
    expect(sentences.some((s) => /leak/.test(s))).toBe(true);
    expect(sentences.some((s) => /lead|filter|disinfection/.test(s))).toBe(true);
    expect(sentences.some((s) => /loan|rates/.test(s))).toBe(true);
    expect(summary.text).not.toMatch(/picnic|café|Table|Figure/);
  });

  it('puts the chosen sentences in document order', async () => {
    const reversed = { ...report, sections: [...report.sections].reverse() };
    for (const input of [report, reversed]) {
      const positions = quoted((await createExtractiveSummarizer().summarize(input)).text, input).map(
        (q) => q.at,
      );
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
  });

  it('picks the single most central sentence, then respects any N', async () => {
    const one = await createExtractiveSummarizer({ sentences: 1 }).summarize(report);
    expect(one.text).toBe(
      'This year the Riverside Water Utility replaced aging pipes, upgraded the treatment plant and kept water rates flat for households.',
    );
    for (const n of [2, 3, 7]) {
      const summary = await createExtractiveSummarizer({ sentences: n }).summarize(report);
      expect(quoted(summary.text, report)).toHaveLength(n);
    }
  });

  it('never quotes two sentences that say the same thing', async () => {
    const echo =
      'This year the Riverside Water Utility replaced aging pipes and upgraded the treatment plant.';
    const input = { ...report, sections: [...report.sections, { heading: null, text: echo }] };
    const { text } = await createExtractiveSummarizer().summarize(input);
    expect(
      text.includes(echo) && text.includes('This year the Riverside Water Utility replaced aging pipes,'),
    ).toBe(false);
  });

  it('gives the same summary every time', async () => {
    const first = await createExtractiveSummarizer().summarize(report);
    expect(await createExtractiveSummarizer().summarize(report)).toEqual(first);
  });

  it('says there is nothing to summarize when the document has no text', async () => {
    for (const sections of [[], [{ heading: 'Empty', text: ' \n\n ' }]]) {
      expect(await createExtractiveSummarizer().summarize({ title: 'Blank', sections })).toMatchObject({
        text: '',
        method: 'extractive',
        note: 'The document has no text to summarize.',
      });
    }
  });

  it('returns a short document whole, and the opening of one with no prose at all', async () => {
    const short =
      'Water rates for households stayed flat this year. The treatment plant now filters more water.';
    const summarize = (text: string) =>
      createExtractiveSummarizer().summarize({ title: 'Short', sections: [{ heading: null, text }] });
    expect((await summarize(short)).text).toBe(short);
    expect((await summarize('Meeting moved.\nRoom 4B, 10:00')).text).toBe('Meeting moved. Room 4B, 10:00');
  });

  it('scores a bounded, document-wide sample of a 2,000-page document (~1M words)', async () => {
    const sections = bigDocument(1_000_000);
    const sentences = sourceSentences({ title: 'Big', sections });
    const candidates = selectCandidates(sentences);
    expect(sentences.length).toBeGreaterThan(20 * MAX_SCORED_SENTENCES);
    expect(candidates).toHaveLength(MAX_SCORED_SENTENCES);
    expect(candidates[0]).toBeLessThan(sentences.length / MAX_SCORED_SENTENCES);
    expect(candidates.at(-1)).toBeGreaterThan(sentences.length * 0.99);
    expect(candidates.every((i) => isProse(sentences[i]!))).toBe(true);

    const summary = await createExtractiveSummarizer().summarize({ title: 'Big', sections });
    expect(splitSentences(summary.text).every((s) => sentences.includes(s))).toBe(true);
    expect(splitSentences(summary.text)).toHaveLength(5);
  });
});

/** The report's pages over and over, with words swapped in deterministically so no two pages are alike. */
function bigDocument(words: number): SummaryInput['sections'] {
  const page = report.sections.map((s) => s.text).join('\n\n');
  const vocabulary = page.toLowerCase().match(/[a-z]{4,}/g)!;
  let seed = 7;
  const pick = () => vocabulary[(seed = (seed * 48271) % 2147483647) % vocabulary.length]!;
  const perPage = page.split(/\s+/).length;
  return Array.from({ length: Math.ceil(words / perPage) }, (_, i) => ({
    heading: `Page ${i + 1}`,
    text: page.replace(/\b(?:water|pipes?|plant|rates?|utility)\b/g, pick),
  }));
}
