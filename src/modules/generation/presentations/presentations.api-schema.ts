import { Type } from '@sinclair/typebox';
import { MAX_CARDS, Slide } from './deck.schema.ts';
import { LayoutIdSchema } from './layouts.ts';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);
const ReferenceId = Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9-]+$' });

export const PresentationParams = Type.Object({ id: Uuid });
export const SlideParams = Type.Object({
  id: Uuid,
  n: Type.Integer({ minimum: 0, maximum: MAX_CARDS - 1, description: 'The slide’s position, 0-based' }),
});

export const CreatePresentationBody = Type.Object(
  {
    prompt: Type.String({
      minLength: 1,
      maxLength: 2000,
      pattern: '\\S',
      description: 'What the deck is about',
    }),
    numCards: Type.Integer({ minimum: 1, maximum: MAX_CARDS, description: 'Exactly this many slides' }),
    style: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Tone and audience' }),
    templateId: ReferenceId,
    themeId: ReferenceId,
    documentIds: Type.Optional(
      Type.Array(Uuid, {
        maxItems: 20,
        description: 'Your ready documents (up to 20) the deck is built from',
      }),
    ),
    engine: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('model')], {
        default: 'auto',
        description:
          '`auto`: the AI model when configured, the extractive engine otherwise or when the model fails ' +
          '(`degraded: true`); `model`: the AI model only — a 503 with `Retry-After` rather than a fallback',
      }),
    ),
  },
  { additionalProperties: false },
);

export const SetThemeBody = Type.Object({ themeId: ReferenceId }, { additionalProperties: false });

export const RegenerateSlideBody = Type.Union([
  Type.Object(
    { layout: Type.Optional(LayoutIdSchema) },
    {
      additionalProperties: false,
      description: 'A layout of the deck’s template; the slide’s own when absent',
    },
  ),
  Type.Null(),
]);

export const ThemeSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  colors: Type.Object({
    background: Type.String(),
    surface: Type.String(),
    text: Type.String(),
    muted: Type.String(),
    accent: Type.String(),
  }),
  fonts: Type.Object({ heading: Type.String(), body: Type.String() }),
  radius: Type.Integer({ minimum: 0, description: 'CSS pixels' }),
});

const common = {
  id: Uuid,
  title: Type.String(),
  prompt: Type.String(),
  numCards: Type.Integer(),
  style: Type.String(),
  templateId: Type.String(),
  themeId: Type.String(),
  documentIds: Type.Array(Uuid),
  status: Type.Union(['queued', 'generating', 'ready', 'failed'].map((s) => Type.Literal(s))),
  engine: Nullable(
    Type.Union([Type.Literal('llm'), Type.Literal('extractive')], {
      description:
        '`extractive`: built from the documents’ own sentences (or the prompt alone), without a model',
    }),
  ),
  model: Nullable(Type.String()),
  degraded: Type.Boolean({ description: 'Built extractively because the AI model failed or was too slow' }),
  notice: Nullable(Type.String({ description: 'How the deck was made when that matters' })),
  cached: Type.Boolean({ description: 'The slides came from your cache of identical requests' }),
  error: Nullable(Type.String({ description: 'Why generation failed' })),
  jobId: Type.String({
    description: 'The latest generation job; progress goes to the channel `job:<jobId>`',
  }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
};

export const Presentation = Type.Object({
  ...common,
  theme: ThemeSchema,
  slides: Nullable(Type.Array(Slide, { description: 'null until the deck is ready' })),
});

export const PresentationPage = Type.Object({
  items: Type.Array(Type.Object({ ...common, slideCount: Type.Integer() })),
  nextCursor: Nullable(Type.String()),
});

export const TemplatesResponse = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      description: Type.String(),
      layouts: Type.Array(
        Type.Object({
          id: LayoutIdSchema,
          description: Type.String(),
          schema: Type.Object(
            {},
            { additionalProperties: true, description: "JSON Schema of the slide's content" },
          ),
        }),
      ),
    }),
  ),
});

export const ThemesResponse = Type.Object({ items: Type.Array(ThemeSchema) });
