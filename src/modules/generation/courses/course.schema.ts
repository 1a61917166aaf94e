import { Type, type Static } from '@sinclair/typebox';

// The course artifact's single source of truth: the model's answer is validated against CourseDraft (also sent
// as its JSON Schema), and the API's Course schema is built from the same fields. Shallow, every field
// required, explicit limits.
const MAX_SECTIONS = 12;
const Title = Type.String({ minLength: 1, maxLength: 120 });
const Description = Type.String({ minLength: 1, maxLength: 600 });
const ConceptName = Type.String({ minLength: 1, maxLength: 60 });
const Concepts = Type.Array(ConceptName, { minItems: 1, maxItems: 6 });
const Summary = Type.String({ minLength: 1, maxLength: 2000 });
const Objectives = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 8 });

/** One section as the model answers it: it cites the numbered excerpts of the prompt by their numbers. */
export const SectionDraft = Type.Object(
  {
    title: Title,
    description: Description,
    concepts: Concepts,
    sources: Type.Array(Type.Integer({ minimum: 1, maximum: 999 }), { maxItems: 6 }),
  },
  { additionalProperties: false },
);
export type SectionDraft = Static<typeof SectionDraft>;

/** What the model answers for a whole course. */
export const CourseDraft = Type.Object(
  {
    summary: Summary,
    outline: Type.Array(SectionDraft, { minItems: 1, maxItems: MAX_SECTIONS }),
    objectives: Objectives,
  },
  { additionalProperties: false },
);
export type CourseDraft = Static<typeof CourseDraft>;

// A pattern rather than `format: 'uuid'`: TypeBox's own checker (used on cached outputs) knows no formats.
const Id = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });

export const Citation = Type.Object({
  documentId: Id,
  page: Type.Integer({ minimum: 1 }),
  chunkId: Id,
  quote: Type.String({ maxLength: 300 }),
});

export const OutlineItem = Type.Object({
  title: Title,
  description: Description,
  concepts: Concepts,
  citations: Type.Array(Citation, { description: 'Where the section comes from: document, page, chunk' }),
});

/** The stored and served artifact: the draft with each section's sources resolved to citations. */
export const CourseArtifact = Type.Object({
  summary: Summary,
  outline: Type.Array(OutlineItem, { maxItems: MAX_SECTIONS }),
  objectives: Objectives,
});
export type CourseArtifact = Static<typeof CourseArtifact>;
export type OutlineItem = Static<typeof OutlineItem>;
