import { createHash } from 'node:crypto';

export interface AiCacheKeyParts {
  userId: string;
  task: string;
  promptVersion: string;
  schemaHash: string;
  model: string;
  params: Record<string, unknown>;
  /** Hashes (or versioned ids) of every input the output depends on, in a stable order. */
  inputHashes: string[];
}

/** sha256(user, task, prompt-template version, schema hash, model, params, input hashes): one key per owner. */
export function aiCacheKey(parts: AiCacheKeyParts): string {
  const params = Object.fromEntries(Object.entries(parts.params).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256')
    .update(
      JSON.stringify([
        parts.userId,
        parts.task,
        parts.promptVersion,
        parts.schemaHash,
        parts.model,
        params,
        parts.inputHashes,
      ]),
    )
    .digest('hex');
}
