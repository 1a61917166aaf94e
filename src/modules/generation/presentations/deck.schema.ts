import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Citation } from '../courses/course.schema.ts';
import { LAYOUTS, LayoutIdSchema, type AnyLayoutContent, type LayoutId } from './layouts.ts';

// The deck artifact's schemas: what the model answers (an outline, then one slide at a time, each validated),
// and what is stored, cached and served.
export const MAX_CARDS = 30;
const SlideTitle = Type.String({ minLength: 1, maxLength: 90 });
const Intent = Type.String({ minLength: 1, maxLength: 300 });
const ImageQuery = Type.String({
  minLength: 1,
  maxLength: 120,
  description: 'A search query for a picture that fits the slide (image generation is a later step)',
});
const MAX_SLIDE_CITATIONS = 4;

/** The outline call's answer: exactly `numCards` slides, each with a layout of the template. */
export function outlineSchema(layouts: readonly LayoutId[], numCards: number) {
  const layout = Type.Union(layouts.map((id) => Type.Literal(id)));
  const item = Type.Object({ title: SlideTitle, layout, intent: Intent }, { additionalProperties: false });
  return Type.Object(
    { title: SlideTitle, slides: Type.Array(item, { minItems: numCards, maxItems: numCards }) },
    { additionalProperties: false },
  );
}
export interface OutlineItem {
  title: string;
  layout: LayoutId;
  intent: string;
}
export interface DeckOutline {
  title: string;
  slides: OutlineItem[];
}

const slideDrafts = new Map<LayoutId, TSchema>();
/** One slide's content call: the layout's content, an image query, and the excerpt numbers it used. */
export function slideDraftSchema(layout: LayoutId) {
  let schema = slideDrafts.get(layout);
  if (!schema) {
    schema = Type.Object(
      {
        content: LAYOUTS[layout].content,
        imageQuery: ImageQuery,
        sources: Type.Array(Type.Integer({ minimum: 1, maximum: 999 }), { maxItems: MAX_SLIDE_CITATIONS }),
      },
      { additionalProperties: false },
    );
    // One object per layout, so the compiled validator is reused.
    slideDrafts.set(layout, schema);
  }
  return schema;
}
export interface SlideDraft {
  content: AnyLayoutContent;
  imageQuery: string;
  sources: number[];
}

/** A stored and served slide; `content` matches its layout's content schema (checked by `isValidSlide`). */
export const Slide = Type.Object({
  title: SlideTitle,
  layout: LayoutIdSchema,
  intent: Intent,
  content: Type.Object(
    {},
    { additionalProperties: true, description: "Matches the layout's content schema" },
  ),
  imageQuery: ImageQuery,
  citations: Type.Array(Citation, {
    maxItems: MAX_SLIDE_CITATIONS,
    description: 'Where the slide comes from: document, page, chunk',
  }),
});
export type Slide = Omit<Static<typeof Slide>, 'content'> & { layout: LayoutId; content: AnyLayoutContent };

export interface DeckArtifact {
  title: string;
  slides: Slide[];
}

export function isValidSlide(slide: unknown): slide is Slide {
  if (!Value.Check(Slide, slide)) return false;
  return Value.Check(LAYOUTS[slide.layout].content, slide.content);
}

/** What ai_cache holds for a deck: the artifact (no theme: a theme never changes content) and its engine. */
export interface CachedDeck {
  artifact: DeckArtifact;
  engine: 'llm' | 'extractive';
  notice: string | null;
}

const CachedShape = Type.Object({
  artifact: Type.Object({ title: SlideTitle, slides: Type.Array(Type.Unknown(), { maxItems: MAX_CARDS }) }),
  engine: Type.Union([Type.Literal('llm'), Type.Literal('extractive')]),
  notice: Type.Union([Type.String(), Type.Null()]),
});

/** A stored output read back: anything that no longer matches the schemas counts as a miss. */
export function readCachedDeck(output: unknown): CachedDeck | undefined {
  if (!Value.Check(CachedShape, output)) return undefined;
  return output.artifact.slides.every(isValidSlide) ? (output as CachedDeck) : undefined;
}
