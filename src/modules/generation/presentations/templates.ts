import type { LayoutId } from './layouts.ts';

/** A template is a set of layouts a deck's slides may use; the first slide always uses `title`. */
export interface Template {
  id: string;
  name: string;
  description: string;
  layouts: readonly LayoutId[];
}

// Reference data in code: they change with a release, not at run time (hence no table).
export const TEMPLATES: readonly Template[] = [
  {
    id: 'classic',
    name: 'Classic',
    description: 'Headings and bullet points, section dividers and the odd quote: a lecture or a briefing.',
    layouts: ['title', 'section', 'title-bullets', 'two-column', 'quote'],
  },
  {
    id: 'visual',
    name: 'Visual',
    description: 'Pictures with short paragraphs and big figures: a talk that shows more than it lists.',
    layouts: ['title', 'image-left', 'big-number', 'quote', 'section'],
  },
  {
    id: 'pitch',
    name: 'Pitch',
    description: 'Figures, comparisons and crisp bullet points: a proposal or a product pitch.',
    layouts: ['title', 'big-number', 'title-bullets', 'two-column', 'image-left'],
  },
  {
    id: 'minimal',
    name: 'Minimal',
    description: 'Bullet points and dividers only: a plain outline to speak to.',
    layouts: ['title', 'section', 'title-bullets'],
  },
];

export const findTemplate = (id: string): Template | undefined => TEMPLATES.find((t) => t.id === id);
