import { estimateTokens } from './ai-hooks.ts';
import { startDeadline, withDeadline } from './deadline.ts';
import type { Completion, CompletionEvent, CompletionRequest, Llm } from './llm.ts';
import type { OpenAiAdapterOptions } from './openai-embedder.ts';
import { badResponse, toAiError, unavailable } from './upstream-errors.ts';

/** What we read from a completion or a stream chunk; nothing upstream sends is trusted to match the SDK types. */
interface LooseChoice {
  message?: { content?: unknown } | null;
  delta?: { content?: unknown } | null;
  finish_reason?: unknown;
}
interface LooseBody {
  model?: unknown;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  choices?: LooseChoice[];
}

/** Chat from any OpenAI-compatible `/v1/chat/completions` (OpenAI, Ollama, vLLM, llama.cpp). */
export function createOpenAiLlm(options: OpenAiAdapterOptions): Llm {
  const { client, model, timeoutMs, hooks } = options;

  const params = (request: CompletionRequest) => ({
    model,
    messages: request.messages,
    // max_tokens rather than max_completion_tokens: the name every compatible server understands.
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    response_format: request.jsonSchema && {
      type: 'json_schema' as const,
      json_schema: { ...request.jsonSchema, strict: true },
    },
  });

  const elapsed = (task: string, started: number) =>
    hooks.observe(task, model, (performance.now() - started) / 1000);

  function finish(request: CompletionRequest, text: string, finishReason: string, body: LooseBody) {
    const usage = readUsage(body) ?? estimateUsage(request, text);
    hooks.onUsage({ task: request.task ?? 'chat', model, userId: request.userId, ...usage });
    if (request.jsonSchema && !parsesAsJson(text)) throw badResponse('the answer is not the JSON asked for');
    const served = typeof body.model === 'string' ? body.model : model;
    return { text, usage, model: served, finishReason } satisfies Completion;
  }

  return {
    model,

    async complete(request) {
      const started = performance.now();
      try {
        const body: LooseBody | null = await withDeadline(timeoutMs, request.signal, (signal) =>
          client.chat.completions.create({ ...params(request), stream: false }, { signal }),
        );
        const choice = body?.choices?.[0];
        const text = choice?.message?.content;
        if (typeof text !== 'string' || typeof choice?.finish_reason !== 'string') {
          throw badResponse('no answer text');
        }
        return finish(request, text, choice.finish_reason, body ?? {});
      } finally {
        elapsed(request.task ?? 'chat', started);
      }
    },

    async *stream(request): AsyncGenerator<CompletionEvent> {
      const started = performance.now();
      const deadline = startDeadline(timeoutMs, request.signal);
      let text = '';
      let charged = false;
      let done: Completion;
      try {
        const chunks = await client.chat.completions.create(
          { ...params(request), stream: true, stream_options: { include_usage: true } },
          { signal: deadline.signal },
        );
        let finishReason: string | undefined;
        const last: LooseBody = {};
        for await (const chunk of chunks as AsyncIterable<LooseBody | null>) {
          const choice = chunk?.choices?.[0];
          const delta = choice?.delta?.content;
          if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
          if (chunk?.usage) last.usage = chunk.usage;
          if (typeof chunk?.model === 'string') last.model = chunk.model;
          if (typeof delta === 'string' && delta !== '') {
            text += delta;
            yield { delta };
          }
        }
        // The SDK ends an aborted stream quietly, so a deadline hit first looks like a normal end.
        deadline.signal.throwIfAborted();
        if (finishReason === undefined) throw unavailable(new Error('stream ended without finish_reason'));
        charged = true;
        done = finish(request, text, finishReason, last);
      } catch (error) {
        throw toAiError(error, deadline);
      } finally {
        deadline.clear();
        // Cut short (deadline, caller gone, upstream broke off): what was generated was still paid for.
        if (!charged && text !== '') {
          hooks.onUsage({
            task: request.task ?? 'chat',
            model,
            userId: request.userId,
            ...estimateUsage(request, text),
          });
        }
        elapsed(request.task ?? 'chat', started);
      }
      // Outside the try: the call is over and measured even if the consumer stops asking after `done`.
      yield { done };
    },
  };
}

function readUsage(body: LooseBody) {
  const { prompt_tokens: promptTokens, completion_tokens: completionTokens } = body.usage ?? {};
  if (typeof promptTokens !== 'number' || typeof completionTokens !== 'number') return undefined;
  return { promptTokens, completionTokens };
}

function estimateUsage(request: CompletionRequest, text: string) {
  const prompt = request.messages.map((m) => m.content).join('\n');
  return { promptTokens: estimateTokens(prompt), completionTokens: estimateTokens(text) };
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
