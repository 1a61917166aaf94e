import { clip } from '../sources/extractive-text.ts';
import type { AnyLayoutContent, LayoutId } from './layouts.ts';

/** What the local engine has for one slide: a heading and sentences, best kept in reading order. */
export interface Material {
  heading: string;
  /** At least one. */
  points: string[];
  attribution?: string;
  intent?: string;
  imageQuery?: string;
  citations?: { documentId: string; page: number; chunkId: string; quote: string }[];
}

const FIGURE = /(?:[$€£]\s?)?\d[\d,.]*\s?(?:%|percent|million|billion|thousand)?/i;

/** Fills a layout's content schema from extracted sentences, within its limits. */
export function fillLayout(layout: LayoutId, material: Material): AnyLayoutContent {
  const { heading, points } = material;
  const first = points[0]!;
  const bullets = (items: string[]) => items.slice(0, 6).map((p) => clip(p, 200));
  switch (layout) {
    case 'title':
    case 'section':
      return { heading: clip(heading, 90), subheading: clip(first, 200) };
    case 'title-bullets':
      return { heading: clip(heading, 90), bullets: bullets(points) };
    case 'two-column': {
      const half = Math.ceil(points.length / 2);
      const right = points.length > 1 ? points.slice(half) : points;
      return {
        heading: clip(heading, 90),
        leftTitle: 'First',
        leftBullets: bullets(points.slice(0, half)),
        rightTitle: 'Then',
        rightBullets: bullets(right),
      };
    }
    case 'quote':
      return {
        quote: clip(first, 300),
        attribution: material.attribution ? clip(material.attribution, 120) : null,
      };
    case 'image-left':
      return { heading: clip(heading, 90), body: clip(points.join(' '), 500) };
    case 'big-number': {
      const withFigure = points.find((p) => FIGURE.test(p)) ?? first;
      const value = FIGURE.exec(withFigure)?.[0].trim() || '1';
      return { value: clip(value, 24), label: clip(heading, 200), context: clip(withFigure, 300) };
    }
  }
}
