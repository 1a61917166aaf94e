import { Type } from '@sinclair/typebox';
import { TEXT_OPERATIONS } from './text-ops.prompts.ts';

export const MAX_TEXT_CHARS = 20_000;

const Operation = Type.Union(
  TEXT_OPERATIONS.map((operation) => Type.Literal(operation)),
  { description: 'summarize, shorten and bullet-points also work without an AI model (extractively)' },
);

export const TextOpBody = Type.Object(
  {
    operation: Operation,
    text: Type.String({
      minLength: 1,
      maxLength: MAX_TEXT_CHARS,
      pattern: '\\S',
      description: `The text to work on: 1 to ${MAX_TEXT_CHARS} characters, not only whitespace.`,
    }),
    instructions: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'Extra wishes (tone, audience); ignored by the extractive engine.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const TextOpResponse = Type.Object({
  operation: Operation,
  text: Type.String(),
  engine: Type.Union([Type.Literal('llm'), Type.Literal('extractive')], {
    description: '`extractive`: sentences of the text itself, quoted verbatim (no AI model involved)',
  }),
  model: Type.String(),
  cached: Type.Boolean({ description: 'Answered from the 30-minute cache of your identical requests' }),
  notice: Type.Union([Type.String(), Type.Null()], {
    description: 'What you should know about how the answer was made (extractive, fallback); null otherwise',
  }),
});
