import { describe, expect, it } from 'vitest';
import { passageWindows } from '../../src/platform/ai/passage-windows.ts';

const numbered = (count: number) => Array.from({ length: count }, (_, i) => `w${i}`).join(' ');
const wordsOf = (text: string) => text.split(/\s+/).filter(Boolean);

describe('passageWindows', () => {
  it('returns a text of at most one window unchanged', () => {
    expect(passageWindows('  a short\ntext ', { words: 50, overlap: 25 })).toEqual(['  a short\ntext ']);
    expect(passageWindows(numbered(50), { words: 50, overlap: 25 })).toEqual([numbered(50)]);
    expect(passageWindows('', { words: 50, overlap: 25 })).toEqual(['']);
  });

  it('shifts the last window back instead of leaving a tiny tail', () => {
    const windows = passageWindows(numbered(60), { words: 50, overlap: 25 }).map(wordsOf);
    expect(windows.map((w) => [w[0], w.at(-1), w.length])).toEqual([
      ['w0', 'w49', 50],
      ['w10', 'w59', 50],
    ]);
  });

  it('covers every word, in order, with full windows overlapping by at least the overlap', () => {
    for (const [size, overlap] of [
      [50, 25],
      [7, 3],
      [5, 0],
      [2, 1],
    ] as const) {
      for (let count = size + 1; count <= 4 * size + 3; count++) {
        const windows = passageWindows(numbered(count), { words: size, overlap }).map(wordsOf);
        const starts = windows.map((w) => Number(w[0]!.slice(1)));
        expect(windows.every((w) => w.length === size)).toBe(true);
        expect(starts[0]).toBe(0);
        expect(windows.at(-1)!.at(-1)).toBe(`w${count - 1}`);
        for (let i = 1; i < starts.length; i++) {
          expect(starts[i]! - starts[i - 1]!).toBeGreaterThan(0);
          expect(starts[i]! - starts[i - 1]!).toBeLessThanOrEqual(size - overlap);
        }
      }
    }
  });

  it('cuts windows out of the original text, keeping its punctuation and line breaks', () => {
    const text = 'One, two;\nthree four.  Five six';
    expect(passageWindows(text, { words: 4, overlap: 2 })).toEqual([
      'One, two;\nthree four.',
      'three four.  Five six',
    ]);
  });

  it('rejects windows that would not advance', () => {
    expect(() => passageWindows('a b c', { words: 3, overlap: 3 })).toThrow(RangeError);
    expect(() => passageWindows('a b c', { words: 0, overlap: 0 })).toThrow(RangeError);
    expect(() => passageWindows('a b c', { words: 2.5, overlap: 1 })).toThrow(RangeError);
  });
});
