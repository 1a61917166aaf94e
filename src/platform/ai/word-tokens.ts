// Lowercased words of letters and digits; inner hyphens and apostrophes stay inside ("well-known", "don't").
const WORD = /[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu;

export function wordTokens(text: string): string[] {
  return text.toLowerCase().replaceAll('\u2019', "'").match(WORD) ?? [];
}

/** True when `word` is one whole token as `wordTokens` cuts them (the vocabulary keeps only those). */
export function isWordToken(word: string): boolean {
  const tokens = wordTokens(word);
  return tokens.length === 1 && tokens[0] === word;
}

/** Parts of a hyphenated or apostrophe word, tried when the whole word is not in the vocabulary. */
export function wordParts(token: string): string[] {
  return token.split(/['-]/);
}

// NLTK's English list plus a few modal and filler words; question words go too, so queries match passages.
export const STOP_WORDS: ReadonlySet<string> = new Set(
  `i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
  herself it its itself they them their theirs themselves what which who whom this that these those am is are
  was were be been being have has had having do does did doing a an the and but if or because as until while
  of at by for with about against between into through during before after above below to from up down in out
  on off over under again further then once here there when where why how all any both each few more most
  other some such no nor not only own same so than too very s t can will just don should now d ll m o re ve y
  ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn shan shouldn wasn weren won wouldn
  would could may might must shall also us yet ever even still much many`.split(/\s+/),
);
