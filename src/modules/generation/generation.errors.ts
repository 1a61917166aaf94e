import { AppError, defineErrors } from '../../platform/errors.ts';

export const GENERATION_ERRORS = defineErrors({
  GENERATION_INVALID_OUTPUT: {
    status: 502,
    when: 'The AI model kept answering with output that does not match the artifact schema, also after 2 repair rounds that sent it the validation errors; nothing was stored.',
  },
  COURSE_NOT_FOUND: {
    status: 404,
    when: 'No course with this id belongs to you (another user’s course answers the same).',
  },
  COURSE_DOCUMENTS_NOT_FOUND: {
    status: 404,
    when: 'One of `documentIds` is not a document of yours; `detail` names it.',
  },
  COURSE_DOCUMENTS_NOT_READY: {
    status: 422,
    when: 'One of `documentIds` has not finished processing (or failed); courses are built from ready documents only.',
  },
  COURSE_SECTION_NOT_FOUND: {
    status: 422,
    when: '`section` names no outline item of the course (0-based), or the course is not ready.',
  },
  COURSE_BUSY: {
    status: 409,
    when: 'The course is being generated; regenerate it once it is ready or failed.',
  },
});

export const courseNotFound = () => new AppError('COURSE_NOT_FOUND', 404, 'Course not found.');

export function invalidOutput(errors: string[]): AppError {
  return new AppError(
    'GENERATION_INVALID_OUTPUT',
    502,
    `The AI model's answer did not match the expected structure after 2 repair rounds (${errors.slice(0, 3).join('; ')}).`,
  );
}
