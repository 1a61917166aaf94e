import type { TSchema } from '@sinclair/typebox';
import { createHash } from 'node:crypto';

/** The plain JSON Schema of a TypeBox schema, as sent to providers (TypeBox's symbol keys dropped). */
export function toJsonSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** Changes whenever the schema does, so cached outputs of an older shape are never read back. */
export function schemaHash(schema: TSchema): string {
  return createHash('sha256')
    .update(JSON.stringify(toJsonSchema(schema)))
    .digest('hex')
    .slice(0, 16);
}
