import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

const MAX_REPORTED = 10;
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Parses a model's text as JSON and checks it against the schema; the errors name the JSON pointer of each. */
export function validateOutput<S extends TSchema>(schema: S, text: string): Validation<Static<S>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, errors: ['the answer is not valid JSON'] };
  }
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)));
  if (check.Check(value)) return { ok: true, value: value as Static<S> };
  const errors = [...check.Errors(value)]
    .slice(0, MAX_REPORTED)
    .map((error) => `${error.path || '/'}: ${error.message}`);
  return { ok: false, errors };
}
