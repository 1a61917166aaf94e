import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { CourseArtifact } from './course.schema.ts';

/** What ai_cache holds for a course: the artifact and how it was made. */
export const CachedCourse = Type.Object({
  artifact: CourseArtifact,
  engine: Type.Union([Type.Literal('llm'), Type.Literal('extractive')]),
  notice: Type.Union([Type.String(), Type.Null()]),
});
export type CachedCourse = Static<typeof CachedCourse>;

/** A stored output read back: anything that no longer matches the schema counts as a miss. */
export function readCachedCourse(output: unknown): CachedCourse | undefined {
  return Value.Check(CachedCourse, output) ? output : undefined;
}
