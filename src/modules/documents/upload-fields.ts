import { Value } from '@sinclair/typebox/value';
import { AppError } from '../../platform/errors.ts';
import { Kind, Title } from './documents.schema.ts';
import type { NewDocumentFields } from './uploads.service.ts';

const FIELDS = new Set(['title', 'tags', 'kind']);
// The Tag schema's rule; TypeBox's checker compiles patterns without the `u` flag that \p{…} needs.
const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,39}$/u;
const MAX_TAGS = 20;

const invalid = (detail: string) => new AppError('DOCUMENT_INVALID_FIELD', 400, detail);

/** Collects the text parts of a multipart upload: known names only, each at most once. */
export function createFieldCollector() {
  const values = new Map<string, string>();
  return {
    add(name: string, value: unknown): void {
      if (!FIELDS.has(name))
        throw invalid(`Unknown field "${name}"; the fields are file, title, tags, kind.`);
      if (values.has(name)) throw invalid(`The field "${name}" was sent twice.`);
      values.set(name, String(value));
    },
    /** The validated fields: `tags` as a comma-separated list. */
    parse(): NewDocumentFields {
      const title = values.get('title');
      if (title !== undefined && !Value.Check(Title, title)) {
        throw invalid('title must be 1–200 characters and not blank.');
      }
      const tags = (values.get('tags') ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      if (tags.length > MAX_TAGS || !tags.every((t) => TAG.test(t))) {
        throw invalid(
          'tags must be at most 20 comma-separated tags of letters, digits, space, _ . - (≤ 40 each).',
        );
      }
      const kind = values.get('kind') ?? 'document';
      if (!Value.Check(Kind, kind)) throw invalid('kind must be "document" or "story".');
      return { title, tags, kind };
    },
  };
}
