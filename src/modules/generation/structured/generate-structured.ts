import type { Static, TSchema } from '@sinclair/typebox';
import type { AppError } from '../../../platform/errors.ts';
import type { ChatMessage, Llm } from '../../../platform/ai/llm.ts';
import { isAiError } from '../../../platform/ai/ai-errors.ts';
import { invalidOutput } from '../generation.errors.ts';
import { toJsonSchema } from './json-schema.ts';
import { validateOutput } from './validate-output.ts';

/** After the first answer, at most this many rounds that send the validation errors back. */
export const MAX_REPAIR_ROUNDS = 2;
/** What of a wrong answer is echoed back in a repair round. */
const ECHO_CHARS = 8_000;

export interface StructuredRequest<S extends TSchema> {
  llm: Llm;
  /** The artifact's single source of truth: validates the answer and becomes the JSON Schema sent. */
  schema: S;
  /** The schema's name for the provider (letters, digits, '_' and '-'). */
  name: string;
  messages: ChatMessage[];
  /** Whose daily token budget pays (every round is charged). */
  userId: string;
  task: string;
  maxTokens: number;
  temperature?: number;
  signal?: AbortSignal;
}

export interface StructuredResult<T> {
  value: T;
  model: string;
  usage: { promptTokens: number; completionTokens: number };
  /** Repair rounds it took (0: the first answer was valid). */
  repairs: number;
}

/**
 * Asks for JSON matching `schema`, validates the answer, and repairs it at most MAX_REPAIR_ROUNDS times by
 * sending the validation errors back; then throws GENERATION_INVALID_OUTPUT. Provider failures (timeouts,
 * outages) are not repaired: they propagate as AI errors, and the adapter's deadline bounds every round.
 */
export async function generateStructured<S extends TSchema>(
  request: StructuredRequest<S>,
): Promise<StructuredResult<Static<S>>> {
  const jsonSchema = { name: request.name, schema: toJsonSchema(request.schema) };
  const usage = { promptTokens: 0, completionTokens: 0 };
  let messages = request.messages;
  let errors: string[] = [];
  for (let round = 0; round <= MAX_REPAIR_ROUNDS; round++) {
    let text: string | undefined;
    try {
      const completion = await request.llm.complete({
        messages,
        jsonSchema,
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        task: request.task,
        userId: request.userId,
        signal: request.signal,
      });
      usage.promptTokens += completion.usage.promptTokens;
      usage.completionTokens += completion.usage.completionTokens;
      text = completion.text;
      const checked = validateOutput(request.schema, text);
      if (checked.ok) return { value: checked.value, model: completion.model, usage, repairs: round };
      errors = checked.errors;
    } catch (error) {
      // The adapter refuses text that is not JSON at all: that is a wrong answer too, worth a repair round.
      if (!isUnparsableAnswer(error)) throw error;
      errors = ['the answer is not valid JSON'];
    }
    messages = [...request.messages, ...repairTurn(text, errors)];
  }
  throw invalidOutput(errors);
}

function isUnparsableAnswer(error: unknown): error is AppError {
  return isAiError(error) && error.code === 'AI_BAD_RESPONSE';
}

function repairTurn(previous: string | undefined, errors: string[]): ChatMessage[] {
  const echoed: ChatMessage[] =
    previous === undefined ? [] : [{ role: 'assistant', content: previous.slice(0, ECHO_CHARS) }];
  return [
    ...echoed,
    {
      role: 'user',
      content:
        'Your previous answer does not match the required JSON schema. Validation errors:\n' +
        errors.map((e) => `- ${e}`).join('\n') +
        '\nAnswer again with the complete JSON object only, matching the schema exactly.',
    },
  ];
}
