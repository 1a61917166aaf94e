/** Turns texts into vectors of one space (one model, one dimension). Vectors come back in input order. */
export interface Embedder {
  readonly model: string;
  readonly dimensions: number;
  /**
   * When set, store one vector per window of a passage (see `passageWindows`) and score a passage by its best
   * window: this model's vectors wash out when averaged over a long text.
   */
  readonly passageWindow?: { words: number; overlap: number };
  embed(texts: string[], options?: EmbedOptions): Promise<Embeddings>;
}

export interface EmbedOptions {
  signal?: AbortSignal;
  /** Label for metrics and token accounting; `embed` when absent. */
  task?: string;
}

export interface Embeddings {
  vectors: number[][];
  tokens: number;
}
