import { Type, type Static, type TObject } from '@sinclair/typebox';

// Each layout's content schema is the single source of truth for a slide's content: the model's answer is
// validated against it (and it is sent as JSON Schema), the local engine fills it, and GET /templates shows it.
// Shallow, every field required (nullable rather than optional), explicit limits.
export const LAYOUT_IDS = [
  'title',
  'section',
  'title-bullets',
  'two-column',
  'quote',
  'image-left',
  'big-number',
] as const;
export type LayoutId = (typeof LAYOUT_IDS)[number];
export const LayoutIdSchema = Type.Union(LAYOUT_IDS.map((id) => Type.Literal(id)));

const Heading = Type.String({ minLength: 1, maxLength: 90 });
const Line = Type.String({ minLength: 1, maxLength: 200 });
const Bullets = Type.Array(Line, { minItems: 1, maxItems: 6 });
const strict = { additionalProperties: false } as const;

export const LAYOUTS = {
  title: {
    description: 'The opening slide: the deck title and a one-line subtitle.',
    content: Type.Object({ heading: Heading, subheading: Type.Union([Line, Type.Null()]) }, strict),
  },
  section: {
    description: 'A divider that opens the next part of the talk: a heading and a one-line teaser.',
    content: Type.Object({ heading: Heading, subheading: Type.Union([Line, Type.Null()]) }, strict),
  },
  'title-bullets': {
    description: 'A heading and two to six short bullet points.',
    content: Type.Object({ heading: Heading, bullets: Bullets }, strict),
  },
  'two-column': {
    description:
      'Two things side by side (compare, before and after, pros and cons): a titled bullet list each.',
    content: Type.Object(
      {
        heading: Heading,
        leftTitle: Heading,
        leftBullets: Bullets,
        rightTitle: Heading,
        rightBullets: Bullets,
      },
      strict,
    ),
  },
  quote: {
    description: 'One memorable sentence, quoted, with who said or wrote it.',
    content: Type.Object(
      {
        quote: Type.String({ minLength: 1, maxLength: 300 }),
        attribution: Type.Union([Type.String({ minLength: 1, maxLength: 120 }), Type.Null()]),
      },
      strict,
    ),
  },
  'image-left': {
    description: 'A picture on the left; a heading and a short paragraph on the right.',
    content: Type.Object({ heading: Heading, body: Type.String({ minLength: 1, maxLength: 500 }) }, strict),
  },
  'big-number': {
    description: 'One striking figure, with a label and a sentence of context.',
    content: Type.Object(
      {
        value: Type.String({ minLength: 1, maxLength: 24 }),
        label: Line,
        context: Type.String({ minLength: 1, maxLength: 300 }),
      },
      strict,
    ),
  },
} satisfies Record<LayoutId, { description: string; content: TObject }>;

export type LayoutContent<L extends LayoutId> = Static<(typeof LAYOUTS)[L]['content']>;
export type AnyLayoutContent = LayoutContent<LayoutId>;
