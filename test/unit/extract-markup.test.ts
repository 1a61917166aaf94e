import { describe, expect, it } from 'vitest';
import {
  htmlToText,
  markdownToText,
  plainText,
  type TextWithHeadings,
} from '../../src/modules/ingest/extract/markup-to-text.ts';

function expectHeadingsAtOffsets({ text, headings }: TextWithHeadings): void {
  for (const heading of headings) {
    expect(text.slice(heading.charStart, heading.charStart + heading.text.length)).toBe(heading.text);
    expect(heading.charStart === 0 || text[heading.charStart - 1] === '\n').toBe(true);
  }
}

describe('markdownToText', () => {
  const source = [
    '# Getting *started*',
    '',
    'Read the **manual** &amp; the [install guide](https://example.com/install) first.',
    'Then `npm ci`<br>and go.',
    '',
    'Setext title',
    '============',
    '',
    '- first item',
    '- second [item](u)',
    '  - nested item',
    '',
    '1. step one',
    '2. step two',
    '',
    '> A quoted line.',
    '> ## Quoted heading',
    '',
    '```ts',
    'const answer = 42;',
    '```',
    '',
    '| Name | Qty |',
    '|------|-----|',
    '| pear | 3   |',
    '',
    '![diagram](diagram.png)',
    '',
    '---',
    '',
    '<div>Block <em>HTML</em></div>',
    '',
    '[ref]: https://example.com',
  ].join('\n');

  it('turns Markdown into plain text blocks with no markup left', () => {
    const { text } = markdownToText(source);
    expect(text).toBe(
      [
        'Getting started',
        'Read the manual & the install guide first.\nThen npm ci\nand go.',
        'Setext title',
        'first item\nsecond item\nnested item',
        '1. step one\n2. step two',
        'A quoted line.',
        'Quoted heading',
        'const answer = 42;',
        'Name Qty\npear 3',
        'Block HTML',
      ].join('\n\n'),
    );
    expect(text).not.toMatch(/[#*`[\]<>|]|https?:|&amp;/);
  });

  it('keeps headings with their level and offset', () => {
    const result = markdownToText(source);
    expect(result.headings).toEqual([
      { level: 1, text: 'Getting started', charStart: 0 },
      { level: 1, text: 'Setext title', charStart: result.text.indexOf('Setext title') },
      { level: 2, text: 'Quoted heading', charStart: result.text.indexOf('Quoted heading') },
    ]);
    expectHeadingsAtOffsets(result);
  });

  it('keeps the code of indented code blocks, not the indentation', () => {
    expect(markdownToText('Intro.\n\n    indented code\n    second line\n').text).toBe(
      'Intro.\n\nindented code\nsecond line',
    );
  });
});

describe('htmlToText', () => {
  const source = `<!doctype html><html><head><title>Ignored</title><style>p { color: red }</style></head>
    <body>
      <script>window.tracking = true;</script>
      <h1>Main   title</h1>
      <p>See <a href="https://example.com/docs">the docs</a> &amp; <img src="x.png" alt="logo"> more.</p>
      <h2>Second<br>part</h2>
      <ul><li>alpha</li><li>beta <b>bold</b></li></ul>
      <blockquote><p>Quoted text.</p></blockquote>
      <table><tr><th>Name</th><th>Qty</th></tr><tr><td>pear</td><td>3</td></tr></table>
      <hr>
      <h3>See the docs</h3>
      <p>The end.</p>
    </body></html>`;

  it('keeps headings as lines in their own case and drops scripts, styles, URLs and images', () => {
    const { text } = htmlToText(source);
    expect(text).toBe(
      [
        'Main title',
        'See the docs & more.',
        'Second part',
        'alpha\nbeta bold',
        'Quoted text.',
        'Name Qty\npear 3',
        'See the docs',
        'The end.',
      ].join('\n\n'),
    );
    expect(text).not.toMatch(/tracking|color|Ignored|example\.com|logo|[[\]<>*]/);
  });

  it('records heading levels and offsets, even when the same words appear earlier', () => {
    const result = htmlToText(source);
    expect(result.headings.map(({ level, text }) => ({ level, text }))).toEqual([
      { level: 1, text: 'Main title' },
      { level: 2, text: 'Second part' },
      { level: 3, text: 'See the docs' },
    ]);
    expect(result.headings[2]?.charStart).toBe(result.text.lastIndexOf('See the docs'));
    expectHeadingsAtOffsets(result);
  });
});

describe('plainText', () => {
  it('normalises newlines and strips BOM and control characters', () => {
    expect(plainText('\uFEFFTitle\r\nline\u0000 two\u0007\t\there\r\r\r\rnext\u00ADpart ')).toEqual({
      text: 'Title\nline two here\n\nnextpart',
      headings: [],
    });
  });
});
