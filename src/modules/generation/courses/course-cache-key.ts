import { aiCacheKey } from '../ai-cache/ai-cache-key.ts';
import { schemaHash } from '../structured/json-schema.ts';
import { COURSE_PROMPT_VERSION } from './course-prompt.ts';
import { CourseArtifact, CourseDraft } from './course.schema.ts';

const SCHEMA_HASH = schemaHash(CourseDraft) + schemaHash(CourseArtifact);

/** The owner's cache key for a course: same documents (same content, same processing), same wishes, same model. */
export function courseCacheKey(input: {
  userId: string;
  model: string;
  title: string | null;
  audience: string | null;
  level: string | null;
  maxInputTokens: number;
  documents: { id: string; sha256: string; generation: number }[];
}): string {
  return aiCacheKey({
    userId: input.userId,
    task: 'course',
    promptVersion: COURSE_PROMPT_VERSION,
    schemaHash: SCHEMA_HASH,
    model: input.model,
    params: {
      title: input.title,
      audience: input.audience,
      level: input.level,
      maxInputTokens: input.maxInputTokens,
    },
    inputHashes: input.documents.map((d) => `${d.id}:${d.sha256}:${d.generation}`),
  });
}
