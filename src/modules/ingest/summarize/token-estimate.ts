// Ideographs and syllables are roughly one token each; four characters per token would count them four times short.
const WORDLIKE =
  /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}]|[^\s\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}]+/gu;

/**
 * Tokens a text will cost, erring high, for fitting input into a model's budget without its tokenizer.
 * The larger of OpenAI's two rules of thumb for English, ~4 characters or ~0.75 words per token: characters
 * undercount short-word prose, words undercount long identifiers and numbers. Each CJK character counts as a word.
 */
export function estimateTokens(text: string): number {
  const words = text.match(WORDLIKE)?.length ?? 0;
  return Math.ceil(Math.max(text.length / 4, words * 1.3));
}
